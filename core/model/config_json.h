// config.json of a model directory (DESIGN §4): the ModelConfig plus the size and SHA-256 of
// each data file. Stateless functions; safe to call concurrently.
//
// Layout: one JSON object, pretty-printed with 2-space indent, ending with a newline:
//   "format_version": 1                                         (required; only 1 is known)
//   "mode": "session" | "hrnn-init" | "hrnn-all"                (required)
//   "num_items", "hidden_size", "user_hidden_size",
//   "embedding_size": integers                                  (required)
//   "loss", "data_fingerprint", "created_at": strings           (optional; default "")
//   "training": {string: string}                                (optional; default {})
//   "metrics": {string: number or null}                         (optional; null means NaN)
//   "files": {"<file name>": {"sha256": "<64 hex>", "bytes": N}} (required)
// Unknown keys are ignored, so later versions may add fields.
#ifndef HRNN_CORE_MODEL_CONFIG_JSON_H_
#define HRNN_CORE_MODEL_CONFIG_JSON_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/model_config.h"

namespace hrnn {

inline constexpr int kModelConfigFormatVersion = 1;

// The checksum of one file of a model directory.
struct FileDigest {
  std::string sha256;  // 64 lower-case hex digits.
  int64_t bytes = 0;   // File size.
  bool operator==(const FileDigest& other) const = default;
};

struct ParsedConfigJson {
  ModelConfig config;
  std::map<std::string, FileDigest> files;  // File name -> digest.
};

// Returns the config.json text for `config` and `files`. Non-finite metrics are written as null.
// REQUIRES: strings are valid UTF-8.
std::string ModelConfigToJson(const ModelConfig& config,
                              const std::map<std::string, FileDigest>& files);

// Parses config.json. Errors (InvalidArgument, naming the field): not a JSON object; an unknown
// format_version; a required field missing or ill-typed; an unknown mode; a sha256 that is not
// 64 hex digits; config.Validate() failing.
absl::StatusOr<ParsedConfigJson> ParseModelConfigJson(absl::string_view text);

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_CONFIG_JSON_H_
