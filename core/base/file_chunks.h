// ReadFileChunks: streams a file's bytes to a callback in chunks, gunzipping it when it starts
// with the gzip magic bytes, so that every reader of data files (interactions, items) accepts
// plain and gzip input the same way and reports the same errors; ReadFileContents reads a small
// input file (filters, users lists) whole the same way. Stateless; thread-safe.
#ifndef HRNN_CORE_BASE_FILE_CHUNKS_H_
#define HRNN_CORE_BASE_FILE_CHUNKS_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Calls visit(chunk) for consecutive chunks (1 MiB at most) of the file at `path`, decompressed
// when it is gzip (`*gzip`, when not null, says whether it was); a non-OK status from `visit`
// stops the read and is returned. Errors: open and read failures as absl::ErrnoToStatus with
// "PATH: cannot open" / "PATH: cannot read" (NotFound for a missing file); DataLoss
// "PATH: corrupt or truncated gzip data: ..." for bad gzip data.
absl::Status ReadFileChunks(const std::string& path,
                            absl::FunctionRef<absl::Status(absl::string_view)> visit,
                            bool* gzip = nullptr);

// The whole file at `path` (ReadFileChunks: gunzipped when it is gzip). Errors: NotFound naming
// the path for a missing file; InvalidArgument naming it for anything else that is not a
// readable regular file ("PATH: not a regular file", open and read failures, bad gzip data).
absl::StatusOr<std::string> ReadFileContents(const std::string& path);

}  // namespace hrnn

#endif  // HRNN_CORE_BASE_FILE_CHUNKS_H_
