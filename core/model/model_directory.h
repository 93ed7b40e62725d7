// Reading and writing model directories (DESIGN §4): models/<name>/<version>/ holding
// config.json, weights.safetensors, items.tsv and the recipes' files (sessions.bin,
// recipes.json: formats in core/recipes/recipe_files.h), and finding the versions under a model
// root. Every file is listed in config.json with its size and SHA-256 and checked on read.
// Stateless functions; safe to call concurrently (writers of one root race only on the version
// number: WriteModelDirectory never overwrites, so a losing writer gets AlreadyExists).
#ifndef HRNN_CORE_MODEL_MODEL_DIRECTORY_H_
#define HRNN_CORE_MODEL_MODEL_DIRECTORY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/model.h"

namespace hrnn {

inline constexpr char kConfigFileName[] = "config.json";
inline constexpr char kWeightsFileName[] = "weights.safetensors";
inline constexpr char kItemsFileName[] = "items.tsv";

// Writes `model` as a new version directory: weights.safetensors and items.tsv, then config.json
// with the size and SHA-256 of each, into a temporary sibling `<version_dir>.tmp-<pid>-<n>`,
// fsynced, then renamed to `version_dir` (and the parent fsynced), so readers never see a partial
// version. Creates the parent directory if missing. Errors: AlreadyExists when version_dir exists
// (versions are immutable); the I/O error otherwise (the temporary directory is removed).
// `extra_files` (plain file name -> bytes; not config.json, weights.safetensors or items.tsv)
// are written alongside and listed in config.json the same way.
absl::Status WriteModelDirectory(const Model& model, const std::string& version_dir,
                                 const std::map<std::string, std::string>& extra_files = {});

// A version directory as read: the model and every other file config.json lists, verified.
struct ModelDirectoryContents {
  std::shared_ptr<const Model> model;
  std::map<std::string, std::string> extra_files;  // File name -> bytes (size and sha checked).
};

// Reads and validates a version directory: parses config.json, checks that it lists
// weights.safetensors and items.tsv, checks each listed file's size and SHA-256, parses the
// weights and items and assembles the model with Model::Create. Every error message starts with
// the path at fault. Errors: NotFound (a missing directory or file), DataLoss (a file's size or
// checksum differs from config.json), InvalidArgument (a malformed file or an inconsistent
// model), or the I/O error.
absl::StatusOr<ModelDirectoryContents> ReadModelDirectoryContents(const std::string& version_dir);
// ReadModelDirectoryContents without the extra files.
absl::StatusOr<std::shared_ptr<const Model>> ReadModelDirectory(const std::string& version_dir);

// The versions under `model_root`: subdirectories named by a decimal integer (no sign, no leading
// zeros) that contain config.json, sorted ascending. Temporary and incomplete directories and
// other entries are ignored. Errors: NotFound when model_root does not exist; the I/O error.
absl::StatusOr<std::vector<int64_t>> ListModelVersions(const std::string& model_root);

// The path of the highest complete version under `model_root`. Errors: NotFound when there is
// none (or no model_root); the I/O error.
absl::StatusOr<std::string> LatestModelVersionDir(const std::string& model_root);

// The path of the version to write next under `model_root`: one above the highest integer-named
// entry, complete or not (so the path does not exist), starting at 1. Creates model_root if
// missing. Errors: the I/O error.
absl::StatusOr<std::string> NextModelVersionDir(const std::string& model_root);

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_MODEL_DIRECTORY_H_
