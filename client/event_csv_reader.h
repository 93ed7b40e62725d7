// EventCsvReader: reads an interaction log in the Amazon Personalize CSV schema and yields
// hrnn.v1.Event messages, for replaying logs into the server. Not thread-safe.
//
// Format:
//   1. An optional UTF-8 byte-order mark, then a header line naming the columns, matched
//      case-insensitively in any order: USER_ID, ITEM_ID, TIMESTAMP (required); EVENT_TYPE,
//      EVENT_VALUE, SESSION_ID, RECOMMENDATION_ID, IMPRESSION (optional). Other columns are
//      ignored.
//   2. One event per line, fields separated by ',', a field optionally enclosed in double quotes
//      ("" inside quotes is one quote). "\r\n" line ends are accepted; empty lines are skipped.
//   3. TIMESTAMP is Unix seconds (an integer, or a decimal such as 1700000000.25), written to
//      Event.timestamp_ms in milliseconds; must be >= 0. EVENT_VALUE, when not empty, must be a
//      finite number. IMPRESSION lists item ids separated by '|'. USER_ID and ITEM_ID must not be
//      empty. Gzip is not supported.
// A malformed line is reported as "FILE:LINE: reason": skipped (and counted) by default, or
// returned as an InvalidArgument error with `strict`.
#ifndef HRNN_CLIENT_EVENT_CSV_READER_H_
#define HRNN_CLIENT_EVENT_CSV_READER_H_

#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hrnn/v1/recommender.pb.h"

namespace hrnn::client {

struct EventCsvReaderOptions {
  // Stop at the first malformed line (InvalidArgument) instead of skipping it. Default: false.
  bool strict = false;
  // Called with "FILE:LINE: reason" for each skipped line. Default: none (only counted).
  std::function<void(absl::string_view)> on_skipped_line;
};

class EventCsvReader {
 public:
  // Opens `path` and reads its header. Returns NotFound when the file cannot be opened and
  // InvalidArgument ("FILE:1: ...") when the header lacks a required column.
  static absl::StatusOr<std::unique_ptr<EventCsvReader>> Open(const std::string& path,
                                                              EventCsvReaderOptions options = {});

  // Reads the next event into *event (cleared first). Returns true on an event, false at the end
  // of the file; InvalidArgument "FILE:LINE: reason" for a malformed line in strict mode, or
  // DataLoss on a read error.
  absl::StatusOr<bool> Next(hrnn::v1::Event* event);

  // The 1-based line number of the last event returned by Next().
  int64_t line_number() const { return line_number_; }
  // Malformed lines skipped so far.
  int64_t skipped_lines() const { return skipped_lines_; }
  const std::string& path() const { return path_; }

 private:
  struct Columns {
    int user_id = -1;
    int item_id = -1;
    int timestamp = -1;
    int event_type = -1;
    int event_value = -1;
    int session_id = -1;
    int recommendation_id = -1;
    int impression = -1;
    int count = 0;
  };

  EventCsvReader(std::string path, EventCsvReaderOptions options);

  // Parses one data line; returns the reason when it is malformed.
  absl::Status ParseLine(absl::string_view line, hrnn::v1::Event* event) const;

  std::string path_;
  EventCsvReaderOptions options_;
  std::ifstream in_;
  Columns columns_;
  int64_t line_number_ = 0;
  int64_t skipped_lines_ = 0;
};

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_EVENT_CSV_READER_H_
