// Experiments (`hrnn-server --experiments_file`, issue 16): A/B splits of the GetRecommendations
// calls that name no recipe between recipes, so a shop can measure online which recipe sells
// more. A user's arm is drawn from a stable hash of the experiment's name and the user id
// (64-bit FNV-1a, the same on every replica, build and restart), so assignment is sticky without
// storing anything. Stateless functions over immutable values; safe to call concurrently.
//
// Layout (UTF-8 text): one arm per line, as space-separated KEY=VALUE fields in any order:
//   experiment=NAME arm=NAME percent=N recipe=RECIPE
// NAME is 1..64 characters of [A-Za-z0-9_.-]; N an integer in 0..100 (an arm at 0 gets no
// users); RECIPE a recipe name (RecipeKindName: hrnn, sknn, sr, personal, trending, auto). An
// experiment's arms are its lines; their percents sum to 100. A line whose first non-space
// character is "#" is a comment; empty lines are skipped; lines end with "\n" or "\r\n".
// One experiment runs at a time. Arms by model version (`version=`) are refused: one model
// version is served at a time.
#ifndef HRNN_CORE_SERVING_EXPERIMENTS_H_
#define HRNN_CORE_SERVING_EXPERIMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/recipes/recipe_kind.h"

namespace hrnn {

struct ExperimentArm {
  std::string name;
  int percent = 0;  // Share of users, 0..100.
  RecipeKind recipe = RecipeKind::kHrnn;
};

struct Experiment {
  std::string name;
  std::vector<ExperimentArm> arms;  // In file order; percents sum to 100.
};

// Users are split in this many buckets (a percent is 100 of them).
inline constexpr uint32_t kExperimentBuckets = 10'000;

// Parses the file `content`; `source` names it in errors. Returns the experiment, or nullopt
// for a file with no arm lines. Errors (InvalidArgument, "SOURCE:LINE: FIELD: reason", the first
// one): a field that is not KEY=VALUE, an unknown, missing or repeated key, a bad name, percent
// or recipe, `version=`, a repeated arm, an arm of a second experiment; and
// "SOURCE: experiment NAME: percents sum to N, expected 100".
absl::StatusOr<std::optional<Experiment>> ParseExperimentsFile(absl::string_view content,
                                                               absl::string_view source);

// Reads and parses the file at `path` (`source` = path). Errors: NotFound (no such file) or
// InvalidArgument (not a regular file, unreadable), naming the path; and the above.
absl::StatusOr<std::optional<Experiment>> ReadExperimentsFile(const std::string& path);

// The user's bucket in 0..kExperimentBuckets-1: FNV-1a 64 of the experiment name, a zero byte
// and the user id, modulo kExperimentBuckets.
uint32_t ExperimentBucket(absl::string_view experiment, absl::string_view user_id);

// The arm of `user_id`: arms own consecutive bucket ranges, in file order, 100 buckets per
// percent. REQUIRES: the experiment parsed (percents sum to 100).
const ExperimentArm& AssignArm(const Experiment& experiment, absl::string_view user_id);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_EXPERIMENTS_H_
