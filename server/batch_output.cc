#include "server/batch_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/catalogue/internal/csv_scanner.h"
#include "core/state/internal/file_io.h"
#include "nlohmann/json.hpp"
#include "server/internal/utf8.h"

namespace hrnn {
namespace {

constexpr absl::string_view kCsvHeader = "user_id,item_ids,scores,recipe,model_version,reason\n";
constexpr int kCsvFields = 6;

// `text` as a JSON string literal; bytes that are not UTF-8 become U+FFFD.
void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const int length = internal::Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(text.data() + i, static_cast<size_t>(length));
        i += static_cast<size_t>(length);
      }
      continue;
    }
    ++i;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (byte < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out->append("\\u00");
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 15]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// The shortest decimal that reads back as `score` (inf, -inf or nan when it is not finite).
void AppendScore(float score, std::string* out) {
  char buffer[32];
  const std::to_chars_result written = std::to_chars(buffer, buffer + sizeof(buffer), score);
  out->append(buffer, written.ptr);
}

// `field` as a CSV field, quoted when it must be.
void AppendCsvField(absl::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

absl::StatusOr<BatchLineKey> ParseJsonLine(absl::string_view line) {
  const nlohmann::json json = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                                    /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  const auto user = json.find("user_id");
  const auto items = json.find("items");
  const auto version = json.find("model_version");
  if (user == json.end() || !user->is_string() || items == json.end() || !items->is_array() ||
      version == json.end() || !version->is_number_integer() || !json.contains("recipe") ||
      !json.contains("reason")) {
    return absl::InvalidArgumentError(
        "not an hrnn-batch line (user_id, items, recipe, model_version, reason)");
  }
  BatchLineKey key;
  key.user_id = user->get<std::string>();
  key.model_version = version->get<int64_t>();
  return key;
}

absl::StatusOr<BatchLineKey> ParseCsvLine(absl::string_view line) {
  if (absl::StrCat(line, "\n") == kCsvHeader) {
    return absl::InvalidArgumentError("the header again");
  }
  internal::CsvScanner scanner(line);
  if (!scanner.Next()) {
    return absl::InvalidArgumentError(scanner.ok() ? "an empty line" : scanner.error().reason);
  }
  const std::vector<internal::CsvScanner::Field>& fields = scanner.fields();
  BatchLineKey key;
  if (fields.size() != kCsvFields || fields[0].text.empty() ||
      !absl::SimpleAtoi(fields[4].text, &key.model_version)) {
    return absl::InvalidArgumentError(
        "not an hrnn-batch row (user_id,item_ids,scores,recipe,model_version,reason)");
  }
  key.user_id = std::string(fields[0].text);
  if (scanner.Next() || !scanner.ok()) {
    return absl::InvalidArgumentError("more than one row");
  }
  return key;
}

}  // namespace

absl::StatusOr<BatchOutputFormat> BatchOutputFormatFor(absl::string_view path) {
  if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json")) {
    return BatchOutputFormat::kJsonLines;
  }
  if (absl::EndsWith(path, ".csv")) return BatchOutputFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--out: \"", path, "\" names neither a .jsonl (or .json) nor a .csv file"));
}

absl::string_view BatchCsvHeader() { return kCsvHeader; }

void AppendBatchLine(BatchOutputFormat format, const BatchResult& result, std::string* out) {
  if (format == BatchOutputFormat::kJsonLines) {
    out->append("{\"user_id\":");
    AppendJsonString(result.user_id, out);
    out->append(",\"items\":[");
    for (size_t i = 0; i < result.items.size(); ++i) {
      out->append(i == 0 ? "{\"item_id\":" : ",{\"item_id\":");
      AppendJsonString(result.items[i].item_id, out);
      out->append(",\"score\":");
      if (std::isfinite(result.items[i].score)) {
        AppendScore(result.items[i].score, out);
      } else {
        out->append("null");
      }
      out->push_back('}');
    }
    out->append("],\"recipe\":");
    AppendJsonString(result.recipe, out);
    absl::StrAppend(out, ",\"model_version\":", result.model_version, ",\"reason\":");
    AppendJsonString(result.reason, out);
    out->append("}\n");
    return;
  }
  AppendCsvField(result.user_id, out);
  out->push_back(',');
  std::string list;
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i > 0) list.push_back('|');
    list.append(result.items[i].item_id);
  }
  AppendCsvField(list, out);
  out->push_back(',');
  list.clear();
  for (size_t i = 0; i < result.items.size(); ++i) {
    if (i > 0) list.push_back('|');
    AppendScore(result.items[i].score, &list);
  }
  AppendCsvField(list, out);
  out->push_back(',');
  AppendCsvField(result.recipe, out);
  absl::StrAppend(out, ",", result.model_version, ",");
  AppendCsvField(result.reason, out);
  out->push_back('\n');
}

absl::StatusOr<BatchLineKey> ParseBatchLine(BatchOutputFormat format, absl::string_view line) {
  return format == BatchOutputFormat::kJsonLines ? ParseJsonLine(line) : ParseCsvLine(line);
}

std::string BatchOutputFile::PartialPath(absl::string_view path) {
  return absl::StrCat(path, ".partial");
}

BatchOutputFile::BatchOutputFile(std::string path, int fd)
    : path_(std::move(path)), partial_path_(PartialPath(path_)), fd_(fd) {}

BatchOutputFile::~BatchOutputFile() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<BatchOutputFile>> BatchOutputFile::Open(
    const std::string& path, BatchOutputFormat format, bool resume,
    std::optional<int64_t> model_version, ResumedOutput* resumed) {
  const std::string partial = PartialPath(path);
  std::error_code ec;
  if (!resume || !std::filesystem::exists(partial, ec)) {
    absl::StatusOr<internal::OwnedFd> fd =
        internal::OpenFile(partial, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.ok()) return fd.status();
    std::unique_ptr<BatchOutputFile> file(new BatchOutputFile(path, fd->Release()));
    if (format == BatchOutputFormat::kCsv) {
      if (absl::Status written = file->Append(kCsvHeader); !written.ok()) return written;
    }
    return file;
  }

  // Resume: read the complete lines, cut a torn tail, append after them.
  absl::StatusOr<internal::OwnedFd> fd = internal::OpenFile(partial, O_RDWR);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<BatchOutputFile> file(new BatchOutputFile(path, fd->Release()));
  absl::StatusOr<std::unique_ptr<internal::SequentialReader>> reader =
      internal::SequentialReader::Open(partial);
  if (!reader.ok()) return reader.status();
  const int64_t size = (*reader)->size();
  int64_t complete_end = 0;  // Just past the last complete line's "\n".
  int64_t line_number = 0;
  bool header_seen = false;
  std::string line;
  std::vector<char> buffer(1 << 20);
  while (true) {
    absl::StatusOr<size_t> got = (*reader)->Read(buffer.data(), buffer.size());
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    const char* begin = buffer.data();
    const char* end = begin + *got;
    while (begin < end) {
      const char* newline = static_cast<const char*>(std::memchr(begin, '\n', end - begin));
      if (newline == nullptr) {
        line.append(begin, end);
        break;
      }
      line.append(begin, newline);
      begin = newline + 1;
      ++line_number;
      complete_end += static_cast<int64_t>(line.size()) + 1;
      auto error = [&](absl::string_view reason) {
        return absl::InvalidArgumentError(
            absl::StrCat(partial, ":", line_number, ": ", reason,
                         " (delete the file to start afresh, or run without --resume)"));
      };
      if (format == BatchOutputFormat::kCsv && !header_seen) {
        if (absl::StrCat(line, "\n") != kCsvHeader) {
          return error(absl::StrCat("not the CSV header \"",
                                    kCsvHeader.substr(0, kCsvHeader.size() - 1), "\""));
        }
        header_seen = true;
        line.clear();
        continue;
      }
      absl::StatusOr<BatchLineKey> key = ParseBatchLine(format, line);
      if (!key.ok()) return error(key.status().message());
      if (model_version.has_value() && key->model_version != *model_version) {
        return error(absl::StrCat("written with model version ", key->model_version,
                                  ", this run serves version ", *model_version,
                                  ": one output holds one version"));
      }
      resumed->users.insert(std::move(key->user_id));
      ++resumed->lines;
      line.clear();
    }
  }
  resumed->cut_bytes = size - complete_end;
  if (resumed->cut_bytes > 0) {
    if (ftruncate(file->fd_, complete_end) != 0) {
      return internal::ErrnoStatus(errno, absl::StrCat(partial, ": ftruncate"));
    }
  }
  if (lseek(file->fd_, 0, SEEK_END) < 0) {
    return internal::ErrnoStatus(errno, absl::StrCat(partial, ": lseek"));
  }
  if (format == BatchOutputFormat::kCsv && !header_seen) {
    if (absl::Status written = file->Append(kCsvHeader); !written.ok()) return written;
  }
  return file;
}

absl::Status BatchOutputFile::Append(absl::string_view lines) {
  return internal::WriteAll(fd_, lines, partial_path_);
}

absl::Status BatchOutputFile::Commit() {
  if (fsync(fd_) != 0) return internal::ErrnoStatus(errno, absl::StrCat(partial_path_, ": fsync"));
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return internal::ErrnoStatus(errno, absl::StrCat(partial_path_, ": close"));
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    return internal::ErrnoStatus(errno, absl::StrCat("rename ", partial_path_, " to ", path_));
  }
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  return internal::SyncDirectory(dir);
}

}  // namespace hrnn
