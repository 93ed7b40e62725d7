// hrnn-batch's output (--out=FILE.jsonl|FILE.csv): one line per user, written to FILE.partial
// and renamed to FILE once every user is in it (so FILE is never half-written), and read back by
// --resume after an interruption. The line formats, their parser, and BatchOutputFile, the
// file itself. The functions are stateless and safe to call concurrently; a BatchOutputFile is
// used by one thread at a time.
//
// Layout, JSON Lines (FILE ends in .jsonl or .json; UTF-8, one object a line, "\n"):
//   {"user_id":"u1","items":[{"item_id":"i7","score":0.25},...],"recipe":"hrnn",
//    "model_version":3,"reason":""}
//   items best first; score the shortest decimal that reads back as the same float (null if
//   not finite); reason "" when the user's own state answered, "no_history" when the user had
//   none and the recipe's fallback answered, "failed: MESSAGE" (and no items) when the user
//   could not be answered. Bytes of an id that are not UTF-8 are written as U+FFFD.
// Layout, CSV (FILE ends in .csv; RFC 4180, "\n"):
//   1. the header `user_id,item_ids,scores,recipe,model_version,reason`;
//   2. one row per user: item_ids and scores are "|"-separated lists in the same order (an item
//      id holding "|" cannot be told apart); a field holding ",", a quote, "\r" or "\n" is
//      quoted, with "" for a quote.
#ifndef HRNN_SERVER_BATCH_OUTPUT_H_
#define HRNN_SERVER_BATCH_OUTPUT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

enum class BatchOutputFormat { kJsonLines, kCsv };

// The format `path` names by its extension (.jsonl or .json: JSON Lines; .csv: CSV). Errors:
// InvalidArgument naming --out otherwise.
absl::StatusOr<BatchOutputFormat> BatchOutputFormatFor(absl::string_view path);

// One user's answer, as written.
struct BatchResult {
  struct Item {
    std::string item_id;
    float score = 0;
  };
  std::string user_id;
  std::vector<Item> items;  // Best first.
  std::string recipe;       // The recipe that answered.
  int64_t model_version = 0;
  std::string reason;  // "", "no_history" or "failed: ..." (see the layout above).
};

// The reason of a user answered by the fallback for users without history.
inline constexpr char kNoHistoryReason[] = "no_history";

// Appends `result` as one line ("\n"-terminated) in `format` to *out.
void AppendBatchLine(BatchOutputFormat format, const BatchResult& result, std::string* out);
// The CSV header line ("\n"-terminated).
absl::string_view BatchCsvHeader();

// What --resume needs of a line written by AppendBatchLine.
struct BatchLineKey {
  std::string user_id;
  int64_t model_version = 0;
};
// Parses one line (without its "\n"). Errors: InvalidArgument when it is not a line
// AppendBatchLine writes in `format` (for CSV: the header is not a line either).
absl::StatusOr<BatchLineKey> ParseBatchLine(BatchOutputFormat format, absl::string_view line);

// What BatchOutputFile::Open found in PATH.partial when resuming.
struct ResumedOutput {
  absl::flat_hash_set<std::string> users;  // The users of its complete lines.
  int64_t lines = 0;                       // Complete lines (the CSV header not counted).
  int64_t cut_bytes = 0;                   // The torn last line's bytes, cut off.
};

class BatchOutputFile {
 public:
  // "PATH.partial".
  static std::string PartialPath(absl::string_view path);

  // Opens PATH.partial for appending lines in `format`. Without `resume` it starts afresh (one
  // left by an earlier run is replaced). With `resume` an existing PATH.partial is continued:
  // its complete lines ("\n"-terminated) are read into *resumed, a torn last line is cut off,
  // and new lines go after them; without one it starts afresh too. A CSV starts with the
  // header. Errors: InvalidArgument (PATH.partial:LINE: ...) when a complete line is not one
  // this format writes, or, when `model_version` is set, was written by another model version
  // (mixing versions in one campaign is refused: delete the file to start afresh); I/O errors
  // naming the file. REQUIRES: resumed != nullptr when `resume`.
  static absl::StatusOr<std::unique_ptr<BatchOutputFile>> Open(const std::string& path,
                                                               BatchOutputFormat format,
                                                               bool resume,
                                                               std::optional<int64_t> model_version,
                                                               ResumedOutput* resumed);
  // Closes PATH.partial, which stays (for --resume) unless Commit() succeeded.
  ~BatchOutputFile();
  BatchOutputFile(const BatchOutputFile&) = delete;
  BatchOutputFile& operator=(const BatchOutputFile&) = delete;

  // Appends `lines` (whole lines). Errors: the write's, naming the file (the file may then end
  // in a torn line, which --resume cuts).
  absl::Status Append(absl::string_view lines);
  // Makes the file durable (fsync), renames it to PATH and syncs the directory. Errors: the
  // I/O error, naming the file; PATH is then either absent (or the previous one) or complete.
  absl::Status Commit();

  const std::string& partial_path() const { return partial_path_; }

 private:
  BatchOutputFile(std::string path, int fd);

  const std::string path_;
  const std::string partial_path_;
  int fd_ = -1;
};

}  // namespace hrnn

#endif  // HRNN_SERVER_BATCH_OUTPUT_H_
