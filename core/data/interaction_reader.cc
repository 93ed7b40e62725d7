#include "core/data/interaction_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/base/file_chunks.h"
#include "core/base/status_macros.h"

namespace hrnn {
namespace {

constexpr size_t kMinPoolBlock = 64 * 1024;
constexpr int kNoColumn = -1;

// Parses epoch seconds ("123", "123.456", "1.2e9") into milliseconds, truncating finer digits.
// Returns nullptr on success, else the reason.
const char* ParseTimestampMs(absl::string_view text, int64_t* out) {
  if (text.empty()) return "empty timestamp";
  if (text[0] == '-') return "negative timestamp";
  size_t i = 0;
  int64_t seconds = 0;
  while (i < text.size() && absl::ascii_isdigit(text[i])) {
    if (__builtin_mul_overflow(seconds, int64_t{10}, &seconds) ||
        __builtin_add_overflow(seconds, int64_t{text[i] - '0'}, &seconds)) {
      return "timestamp out of range";
    }
    ++i;
  }
  int64_t millis = 0;
  bool plain = i > 0;
  if (plain && i < text.size()) {
    if (text[i] != '.') {
      plain = false;
    } else {
      ++i;
      int digits = 0;
      for (; i < text.size() && absl::ascii_isdigit(text[i]); ++i, ++digits) {
        if (digits < 3) millis = millis * 10 + (text[i] - '0');
      }
      for (; digits < 3; ++digits) millis *= 10;
      if (i != text.size()) plain = false;
    }
  }
  if (plain) {
    if (__builtin_mul_overflow(seconds, int64_t{1000}, &seconds)) return "timestamp out of range";
    *out = seconds + millis;
    return nullptr;
  }
  // Scientific notation and other forms std::from_chars accepts.
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return "timestamp is not a number";
  if (std::isnan(value)) return "timestamp is NaN";
  if (value < 0) return "negative timestamp";
  if (!(value * 1000.0 < 9.2e18)) return "timestamp out of range";
  *out = static_cast<int64_t>(value * 1000.0);
  return nullptr;
}

// Parses a finite decimal number. Returns nullptr on success, else the reason.
const char* ParseEventValue(absl::string_view text, float* out) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return "EVENT_VALUE is not a number";
  if (!std::isfinite(value)) return "EVENT_VALUE is not finite";
  *out = static_cast<float>(value);
  return nullptr;
}

// Roles of the columns a row needs.
enum Role { kUser, kItem, kTime, kType, kValue, kSession, kNumRoles };

// Turns lines into rows of a RawLog: header handling, field splitting, validation.
class LineParser {
 public:
  LineParser(absl::string_view name, const ReaderOptions& options, RawLog* log)
      : name_(name), options_(options), log_(log) {
    column_.fill(kNoColumn);
  }

  // Consumes one physical line (without its '\n'). Errors: header problems; strict-mode
  // malformed rows; too many rows.
  absl::Status Line(absl::string_view line) {
    ++line_number_;
    ++log_->stats.lines;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number_ == 1 && absl::StartsWith(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.empty()) {
      ++log_->stats.empty_lines;
      return absl::OkStatus();
    }
    if (!have_header_) return Header(line);
    return Row(line);
  }

  // Errors: InvalidArgument when no header was seen (an empty input).
  absl::Status Finish() const {
    if (!have_header_) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ":1: empty input (no header line)"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Header(absl::string_view line) {
    have_header_ = true;
    InputFormat format = options_.format;
    if (format == InputFormat::kAuto) {
      format = line.find('\t') != absl::string_view::npos ? InputFormat::kGru4Rec
                                                          : InputFormat::kPersonalize;
    }
    gru4rec_ = format == InputFormat::kGru4Rec;
    delimiter_ = gru4rec_ ? '\t' : ',';
    if (!Split(line)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ":", line_number_, ":", error_col_, ": ", error_));
    }
    struct Name {
      const char* name;
      Role role;
    };
    static constexpr Name kPersonalize[] = {{"user_id", kUser},      {"item_id", kItem},
                                            {"timestamp", kTime},    {"event_type", kType},
                                            {"event_value", kValue}, {"session_id", kSession}};
    static constexpr Name kGru4Rec[] = {{"sessionid", kUser}, {"itemid", kItem}, {"time", kTime}};
    const absl::Span<const Name> names =
        gru4rec_ ? absl::Span<const Name>(kGru4Rec) : absl::Span<const Name>(kPersonalize);
    for (size_t f = 0; f < fields_.size(); ++f) {
      const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(fields_[f]));
      for (const Name& n : names) {
        if (lower == n.name) {
          if (column_[n.role] != kNoColumn) {
            return absl::InvalidArgumentError(absl::StrCat(name_, ":", line_number_, ":", cols_[f],
                                                           ": duplicate column ",
                                                           absl::AsciiStrToUpper(n.name)));
          }
          column_[n.role] = static_cast<int>(f);
        }
      }
    }
    for (Role role : {kUser, kItem, kTime}) {
      if (column_[role] == kNoColumn) {
        const char* wanted = gru4rec_ ? (role == kUser   ? "SessionId"
                                         : role == kItem ? "ItemId"
                                                         : "Time")
                                      : (role == kUser   ? "USER_ID"
                                         : role == kItem ? "ITEM_ID"
                                                         : "TIMESTAMP");
        return absl::InvalidArgumentError(
            absl::StrCat(name_, ":", line_number_, ": missing required column ", wanted, " (",
                         InputFormatName(format), " header is \"", absl::CEscape(line), "\")"));
      }
    }
    needed_fields_ = 1 + *std::max_element(column_.begin(), column_.end());
    if (gru4rec_) log_->has_session_ids = true;
    if (column_[kSession] != kNoColumn) log_->has_session_ids = true;
    if (column_[kType] != kNoColumn) log_->has_event_types = true;
    if (column_[kValue] != kNoColumn) log_->has_event_values = true;
    return absl::OkStatus();
  }

  // Splits `line` into fields_ (views into the line or scratch_) and cols_ (1-based start
  // columns), stopping after needed_fields_ when known. Returns false with error_col_ and
  // error_ set on a quoting error.
  bool Split(absl::string_view line) {
    fields_.clear();
    cols_.clear();
    scratch_.clear();
    scratch_.reserve(line.size());  // Views into scratch_ must not move.
    size_t i = 0;
    while (true) {
      cols_.push_back(static_cast<int64_t>(i) + 1);
      if (!gru4rec_ && i < line.size() && line[i] == '"') {
        const size_t begin = scratch_.size();
        size_t j = i + 1;
        while (true) {
          const size_t quote = line.find('"', j);
          if (quote == absl::string_view::npos) {
            error_col_ = static_cast<int64_t>(i) + 1;
            error_ = "unterminated quoted field";
            return false;
          }
          scratch_.append(line.data() + j, quote - j);
          if (quote + 1 < line.size() && line[quote + 1] == '"') {
            scratch_.push_back('"');
            j = quote + 2;
            continue;
          }
          j = quote + 1;
          break;
        }
        fields_.emplace_back(scratch_.data() + begin, scratch_.size() - begin);
        if (j < line.size() && line[j] != delimiter_) {
          error_col_ = static_cast<int64_t>(j) + 1;
          error_ = "unexpected character after closing quote";
          return false;
        }
        i = j;
      } else {
        size_t end = line.find(delimiter_, i);
        if (end == absl::string_view::npos) end = line.size();
        fields_.push_back(line.substr(i, end - i));
        i = end;
      }
      if (i >= line.size()) return true;
      if (needed_fields_ > 0 && static_cast<int>(fields_.size()) >= needed_fields_) return true;
      ++i;  // Skip the delimiter.
    }
  }

  absl::Status Malformed(int64_t col, absl::string_view reason) {
    std::string message = absl::StrCat(name_, ":", line_number_, ":", col, ": ", reason);
    if (options_.strict) return absl::InvalidArgumentError(message);
    ++log_->stats.malformed;
    if (static_cast<int>(log_->stats.first_errors.size()) < options_.max_error_messages) {
      log_->stats.first_errors.push_back(std::move(message));
    }
    return absl::OkStatus();
  }

  absl::Status Row(absl::string_view line) {
    if (!Split(line)) return Malformed(error_col_, error_);
    if (static_cast<int>(fields_.size()) < needed_fields_) {
      return Malformed(
          static_cast<int64_t>(line.size()) + 1,
          absl::StrCat("expected at least ", needed_fields_, " fields, found ", fields_.size()));
    }
    RawEvent event;
    const absl::string_view user = fields_[column_[kUser]];
    const absl::string_view item = fields_[column_[kItem]];
    if (user.empty())
      return Malformed(cols_[column_[kUser]], gru4rec_ ? "empty session id" : "empty user id");
    if (item.empty()) return Malformed(cols_[column_[kItem]], "empty item id");
    if (item.find_first_of("\t\n\r") != absl::string_view::npos) {
      return Malformed(cols_[column_[kItem]], "item id contains a tab or line break");
    }
    const absl::string_view time = absl::StripAsciiWhitespace(fields_[column_[kTime]]);
    if (const char* reason = ParseTimestampMs(time, &event.timestamp_ms)) {
      return Malformed(cols_[column_[kTime]],
                       absl::StrCat(reason, " (\"", absl::CHexEscape(time.substr(0, 40)), "\")"));
    }
    event.event_value = std::numeric_limits<float>::quiet_NaN();
    if (column_[kValue] != kNoColumn) {
      const absl::string_view value = absl::StripAsciiWhitespace(fields_[column_[kValue]]);
      if (!value.empty()) {
        if (const char* reason = ParseEventValue(value, &event.event_value)) {
          return Malformed(
              cols_[column_[kValue]],
              absl::StrCat(reason, " (\"", absl::CHexEscape(value.substr(0, 40)), "\")"));
        }
      }
    }
    if (log_->events.size() >= std::numeric_limits<uint32_t>::max()) {
      return absl::ResourceExhaustedError(
          absl::StrCat(name_, ":", line_number_, ": more than 4294967295 rows in one log"));
    }
    event.user = log_->users.Intern(user);
    event.item = log_->items.Intern(item);
    if (gru4rec_) {
      event.session = event.user;
    } else if (column_[kSession] != kNoColumn && !fields_[column_[kSession]].empty()) {
      event.session = log_->sessions.Intern(fields_[column_[kSession]]);
    }
    if (column_[kType] != kNoColumn && !fields_[column_[kType]].empty()) {
      event.event_type = log_->event_types.Intern(fields_[column_[kType]]);
    }
    event.order = static_cast<uint32_t>(log_->events.size());
    log_->events.push_back(event);
    ++log_->stats.rows;
    return absl::OkStatus();
  }

  const std::string name_;
  const ReaderOptions& options_;
  RawLog* log_;
  int64_t line_number_ = 0;
  bool have_header_ = false;
  bool gru4rec_ = false;
  char delimiter_ = ',';
  std::array<int, kNumRoles> column_;
  int needed_fields_ = 0;
  std::vector<absl::string_view> fields_;
  std::vector<int64_t> cols_;
  std::string scratch_;
  int64_t error_col_ = 0;
  const char* error_ = "";
};

// Feeds `chunk` to `parser` line by line; a partial last line is kept in `carry`.
absl::Status FeedChunk(absl::string_view chunk, std::string* carry, LineParser* parser) {
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    if (newline == absl::string_view::npos) {
      carry->append(chunk.data(), chunk.size());
      return absl::OkStatus();
    }
    if (carry->empty()) {
      HRNN_RETURN_IF_ERROR(parser->Line(chunk.substr(0, newline)));
    } else {
      carry->append(chunk.data(), newline);
      HRNN_RETURN_IF_ERROR(parser->Line(*carry));
      carry->clear();
    }
    chunk.remove_prefix(newline + 1);
  }
  return absl::OkStatus();
}

absl::Status ValidateAndCount(const ReaderOptions& options, RawLog* log) {
  HRNN_RETURN_IF_ERROR(options.Validate());
  if (log == nullptr) return absl::InvalidArgumentError("log is null");
  ++log->stats.files;
  return absl::OkStatus();
}

}  // namespace

StringPool::StringPool(const StringPool& other) { *this = other; }

StringPool& StringPool::operator=(const StringPool& other) {
  if (this == &other) return *this;
  blocks_.clear();
  block_used_ = block_size_ = 0;
  strings_.clear();
  index_of_.clear();
  for (absl::string_view s : other.strings_) Intern(s);
  return *this;
}

int32_t StringPool::Intern(absl::string_view s) {
  if (auto it = index_of_.find(s); it != index_of_.end()) return it->second;
  if (block_used_ + s.size() > block_size_) {
    block_size_ = std::max(kMinPoolBlock, s.size());
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* copy = blocks_.back().get() + block_used_;
  if (!s.empty()) std::memcpy(copy, s.data(), s.size());
  block_used_ += s.size();
  const int32_t index = static_cast<int32_t>(strings_.size());
  strings_.emplace_back(copy, s.size());
  index_of_.emplace(strings_.back(), index);
  return index;
}

std::optional<int32_t> StringPool::Find(absl::string_view s) const {
  if (auto it = index_of_.find(s); it != index_of_.end()) return it->second;
  return std::nullopt;
}

absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "auto") return InputFormat::kAuto;
  if (lower == "personalize") return InputFormat::kPersonalize;
  if (lower == "gru4rec") return InputFormat::kGru4Rec;
  return absl::InvalidArgumentError(absl::StrCat("format \"", absl::CEscape(name),
                                                 "\" is not one of auto, personalize, gru4rec"));
}

absl::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto:
      return "auto";
    case InputFormat::kPersonalize:
      return "personalize";
    case InputFormat::kGru4Rec:
      return "gru4rec";
  }
  return "unknown";
}

absl::Status ReaderOptions::Validate() const {
  if (max_error_messages < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_error_messages must be >= 0, got ", max_error_messages));
  }
  return absl::OkStatus();
}

absl::Status AppendInteractionsText(absl::string_view content, absl::string_view name,
                                    const ReaderOptions& options, RawLog* log) {
  HRNN_RETURN_IF_ERROR(ValidateAndCount(options, log));
  LineParser parser(name, options, log);
  std::string carry;
  HRNN_RETURN_IF_ERROR(FeedChunk(content, &carry, &parser));
  if (!carry.empty()) HRNN_RETURN_IF_ERROR(parser.Line(carry));
  return parser.Finish();
}

absl::Status AppendInteractionsFile(const std::string& path, const ReaderOptions& options,
                                    RawLog* log) {
  HRNN_RETURN_IF_ERROR(ValidateAndCount(options, log));
  LineParser parser(path, options, log);
  std::string carry;
  bool gzip = false;
  HRNN_RETURN_IF_ERROR(ReadFileChunks(
      path, [&](absl::string_view chunk) { return FeedChunk(chunk, &carry, &parser); }, &gzip));
  if (gzip) ++log->stats.gzip_files;
  if (!carry.empty()) HRNN_RETURN_IF_ERROR(parser.Line(carry));
  return parser.Finish();
}

absl::StatusOr<RawLog> ReadInteractions(const std::vector<std::string>& paths,
                                        const ReaderOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("input: no files given");
  RawLog log;
  for (const std::string& path : paths) {
    HRNN_RETURN_IF_ERROR(AppendInteractionsFile(path, options, &log));
  }
  return log;
}

}  // namespace hrnn
