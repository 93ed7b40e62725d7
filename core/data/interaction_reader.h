// Streaming reader of interaction logs (Personalize CSV or GRU4Rec TSV, plain or gzip) into a
// compact RawLog: interned string ids and 32 bytes per row, no copy of the text.
// The functions are stateless and thread-safe; a RawLog is a value (not synchronised).
#ifndef HRNN_CORE_DATA_INTERACTION_READER_H_
#define HRNN_CORE_DATA_INTERACTION_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Input formats (DESIGN §10 `--format`):
//  kPersonalize: CSV (RFC 4180 quoting) with a header naming USER_ID, ITEM_ID, TIMESTAMP and
//    optionally EVENT_TYPE, EVENT_VALUE, SESSION_ID, case-insensitive, in any order; other
//    columns are ignored. TIMESTAMP is epoch seconds, integer or decimal.
//  kGru4Rec: TSV with a header naming SessionId, ItemId, Time (case-insensitive, any order);
//    each session id is both the user and the session (anonymous sessions).
//  kAuto: GRU4Rec when the header line contains a tab, Personalize otherwise.
enum class InputFormat { kAuto, kPersonalize, kGru4Rec };

// Parses "auto", "personalize" or "gru4rec" (case-insensitive). Errors: InvalidArgument naming
// the accepted values.
absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name);
absl::string_view InputFormatName(InputFormat format);

// Interns strings: index i <-> string, indices dense in first-seen order. The characters live
// in an arena owned by the pool, so views stay valid when the pool is moved. Not thread-safe.
class StringPool {
 public:
  StringPool() = default;
  StringPool(const StringPool& other);
  StringPool& operator=(const StringPool& other);
  StringPool(StringPool&&) = default;
  StringPool& operator=(StringPool&&) = default;

  // Returns the index of `s`, adding it when new.
  int32_t Intern(absl::string_view s);
  // The index of `s`, or nullopt when absent.
  std::optional<int32_t> Find(absl::string_view s) const;
  // REQUIRES: 0 <= index < size().
  absl::string_view Get(int32_t index) const { return strings_[index]; }
  int32_t size() const { return static_cast<int32_t>(strings_.size()); }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t block_used_ = 0;
  size_t block_size_ = 0;
  std::vector<absl::string_view> strings_;
  absl::flat_hash_map<absl::string_view, int32_t> index_of_;
};

// One input row, 32 bytes. `order` is the row's position among all rows read into the log
// (over all files), used as the tie-break of a stable sort by time.
struct RawEvent {
  int64_t timestamp_ms = 0;  // Epoch milliseconds (decimal seconds truncated to ms).
  int32_t user = 0;          // Index into RawLog::users.
  int32_t item = 0;          // Index into RawLog::items.
  int32_t session = -1;      // Index into RawLog::sessions (GRU4Rec: the user index); -1: none.
  int32_t event_type = -1;   // Index into RawLog::event_types; -1: none.
  float event_value = 0.0f;  // NaN when absent.
  uint32_t order = 0;        // Input order.
};
static_assert(sizeof(RawEvent) == 32, "RawEvent must stay compact");

struct ReadStats {
  int64_t files = 0;
  int64_t lines = 0;                      // Physical lines, header and empty lines included.
  int64_t rows = 0;                       // Rows accepted into the log.
  int64_t malformed = 0;                  // Rows skipped as malformed.
  int64_t empty_lines = 0;                // Skipped.
  int64_t gzip_files = 0;                 // Files that were gzip-compressed.
  std::vector<std::string> first_errors;  // "file:line:col: reason", at most max_error_messages.
};

// The rows of one or more input files. Users, items, sessions and event types are interned in
// first-seen order, so a user's index is its first-appearance rank.
struct RawLog {
  StringPool users;
  StringPool items;
  StringPool sessions;  // Explicit SESSION_ID values (Personalize only).
  StringPool event_types;
  std::vector<RawEvent> events;
  bool has_session_ids = false;   // Some file had a SESSION_ID column or was GRU4Rec.
  bool has_event_types = false;   // Some file had an EVENT_TYPE column.
  bool has_event_values = false;  // Some file had an EVENT_VALUE column.
  ReadStats stats;
};

struct ReaderOptions {
  // Default: kAuto (detect from the header line).
  InputFormat format = InputFormat::kAuto;
  // When true, the first malformed row stops the read with InvalidArgument "file:line:col: ...".
  // Default: false (malformed rows are counted, the first few messages kept, and skipped).
  bool strict = false;
  // Number of error messages kept in ReadStats::first_errors. Default: 10.
  int max_error_messages = 10;

  // Errors: InvalidArgument naming the field when max_error_messages < 0.
  absl::Status Validate() const;
};

// Reads `path` (gzip detected by its magic bytes, plain text otherwise) and appends its rows to
// `log`. Errors: NotFound / PermissionDenied when the file cannot be opened; DataLoss on corrupt
// or truncated gzip data; InvalidArgument "path:1: ..." for an empty file, an unknown format or
// a missing required column (named); in strict mode InvalidArgument "path:line:col: reason" at
// the first malformed row. On error `log` may hold the rows read before it.
absl::Status AppendInteractionsFile(const std::string& path, const ReaderOptions& options,
                                    RawLog* log);

// Parses the whole of `content` as if it were the file `name` and appends to `log`; same errors
// as AppendInteractionsFile (content is never treated as gzip).
absl::Status AppendInteractionsText(absl::string_view content, absl::string_view name,
                                    const ReaderOptions& options, RawLog* log);

// Reads every file of `paths` in order into one log (users, items and input order continue
// across files). Errors: as AppendInteractionsFile; InvalidArgument when `paths` is empty.
absl::StatusOr<RawLog> ReadInteractions(const std::vector<std::string>& paths,
                                        const ReaderOptions& options);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_INTERACTION_READER_H_
