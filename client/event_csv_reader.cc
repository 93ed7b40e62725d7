#include "client/event_csv_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hrnn::client {
namespace {

// Splits one CSV line into fields (RFC 4180 quoting, no embedded line breaks).
absl::StatusOr<std::vector<std::string>> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return absl::InvalidArgumentError("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected text after the closing quote of field ", fields.size() + 1));
      }
    } else {
      const size_t end = std::min(line.find(',', i), line.size());
      field = std::string(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // The comma.
  }
  return fields;
}

absl::StatusOr<int64_t> ParseTimestampMs(absl::string_view text) {
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0 || seconds > kMaxSeconds) {
      return absl::InvalidArgumentError(absl::StrCat("TIMESTAMP: ", text, " is out of range"));
    }
    return seconds * 1000;
  }
  double fractional = 0;
  if (absl::SimpleAtod(text, &fractional) && std::isfinite(fractional)) {
    if (fractional < 0 || fractional > static_cast<double>(kMaxSeconds)) {
      return absl::InvalidArgumentError(absl::StrCat("TIMESTAMP: ", text, " is out of range"));
    }
    return std::llround(fractional * 1000.0);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("TIMESTAMP: \"", text, "\" is not a number of Unix seconds"));
}

}  // namespace

EventCsvReader::EventCsvReader(std::string path, EventCsvReaderOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<EventCsvReader>> EventCsvReader::Open(
    const std::string& path, EventCsvReaderOptions options) {
  std::unique_ptr<EventCsvReader> reader(new EventCsvReader(path, std::move(options)));
  reader->in_.open(path, std::ios::binary);
  if (!reader->in_.is_open()) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));

  std::string header;
  if (!std::getline(reader->in_, header)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: empty file, expected a header"));
  }
  reader->line_number_ = 1;
  if (absl::StartsWith(header, "\xEF\xBB\xBF")) header.erase(0, 3);
  if (absl::EndsWith(header, "\r")) header.pop_back();
  absl::StatusOr<std::vector<std::string>> names = SplitCsvLine(header);
  if (!names.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: ", names.status().message()));
  }
  Columns& columns = reader->columns_;
  columns.count = static_cast<int>(names->size());
  const std::pair<const char*, int*> known[] = {
      {"USER_ID", &columns.user_id},
      {"ITEM_ID", &columns.item_id},
      {"TIMESTAMP", &columns.timestamp},
      {"EVENT_TYPE", &columns.event_type},
      {"EVENT_VALUE", &columns.event_value},
      {"SESSION_ID", &columns.session_id},
      {"RECOMMENDATION_ID", &columns.recommendation_id},
      {"IMPRESSION", &columns.impression},
  };
  for (int i = 0; i < columns.count; ++i) {
    const absl::string_view name = absl::StripAsciiWhitespace((*names)[i]);
    for (const auto& [known_name, index] : known) {
      if (!absl::EqualsIgnoreCase(name, known_name)) continue;
      if (*index >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":1: column ", known_name, " appears twice"));
      }
      *index = i;
    }
  }
  for (const auto& [required, index] :
       {std::pair{"USER_ID", columns.user_id}, std::pair{"ITEM_ID", columns.item_id},
        std::pair{"TIMESTAMP", columns.timestamp}}) {
    if (index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":1: the header has no ", required,
                       " column (need USER_ID, ITEM_ID, TIMESTAMP[, EVENT_TYPE][, EVENT_VALUE])"));
    }
  }
  return reader;
}

absl::Status EventCsvReader::ParseLine(absl::string_view line, hrnn::v1::Event* event) const {
  absl::StatusOr<std::vector<std::string>> fields = SplitCsvLine(line);
  if (!fields.ok()) return fields.status();
  if (static_cast<int>(fields->size()) != columns_.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", columns_.count, " fields as in the header, got ", fields->size()));
  }
  const std::vector<std::string>& f = *fields;
  if (f[columns_.user_id].empty()) return absl::InvalidArgumentError("USER_ID: empty");
  if (f[columns_.item_id].empty()) return absl::InvalidArgumentError("ITEM_ID: empty");
  event->set_user_id(f[columns_.user_id]);
  event->set_item_id(f[columns_.item_id]);
  absl::StatusOr<int64_t> timestamp_ms = ParseTimestampMs(f[columns_.timestamp]);
  if (!timestamp_ms.ok()) return timestamp_ms.status();
  event->set_timestamp_ms(*timestamp_ms);
  if (columns_.event_type >= 0) event->set_event_type(f[columns_.event_type]);
  if (columns_.event_value >= 0 && !f[columns_.event_value].empty()) {
    double value = 0;
    if (!absl::SimpleAtod(f[columns_.event_value], &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("EVENT_VALUE: \"", f[columns_.event_value], "\" is not a finite number"));
    }
    event->set_event_value(value);
  }
  if (columns_.session_id >= 0) event->set_session_id(f[columns_.session_id]);
  if (columns_.recommendation_id >= 0) {
    event->set_recommendation_id(f[columns_.recommendation_id]);
  }
  if (columns_.impression >= 0) {
    for (absl::string_view item : absl::StrSplit(f[columns_.impression], '|', absl::SkipEmpty())) {
      event->add_impression_item_ids(std::string(item));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> EventCsvReader::Next(hrnn::v1::Event* event) {
  std::string line;
  while (std::getline(in_, line)) {
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    event->Clear();
    const absl::Status status = ParseLine(line, event);
    if (status.ok()) return true;
    std::string message = absl::StrCat(path_, ":", line_number_, ": ", status.message());
    if (options_.strict) return absl::InvalidArgumentError(message);
    ++skipped_lines_;
    if (options_.on_skipped_line) options_.on_skipped_line(message);
  }
  if (in_.bad()) {
    return absl::DataLossError(absl::StrCat(path_, ":", line_number_ + 1, ": read error"));
  }
  return false;
}

}  // namespace hrnn::client
