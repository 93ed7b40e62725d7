// libFuzzer target: the experiments file reader (core/serving/experiments.h) on arbitrary text.
// It must return a status, never crash; an experiment it accepts must hold to the layout (valid
// unique names, percents in 0..100 summing to 100) and give every user an arm with a share, and
// the same experiment written back one arm per line must parse to the same arms (else it traps).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/serving/experiments.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<std::optional<hrnn::Experiment>> parsed =
      hrnn::ParseExperimentsFile(text, "fuzz");
  if (!parsed.ok() || !parsed->has_value()) return 0;
  const hrnn::Experiment& experiment = **parsed;
  if (experiment.name.empty() || experiment.name.size() > 64 || experiment.arms.empty()) {
    __builtin_trap();
  }
  int sum = 0;
  std::string written;
  for (const hrnn::ExperimentArm& arm : experiment.arms) {
    if (arm.name.empty() || arm.percent < 0 || arm.percent > 100) __builtin_trap();
    sum += arm.percent;
    absl::StrAppend(&written, "experiment=", experiment.name, " arm=", arm.name,
                    " percent=", arm.percent, " recipe=", hrnn::RecipeKindName(arm.recipe), "\n");
  }
  if (sum != 100) __builtin_trap();
  for (const absl::string_view user : {"", "u1", "user-42", "\xff\xfe"}) {
    if (hrnn::AssignArm(experiment, user).percent == 0) __builtin_trap();
  }
  const absl::StatusOr<std::optional<hrnn::Experiment>> again =
      hrnn::ParseExperimentsFile(written, "again");
  if (!again.ok() || !again->has_value() || (*again)->name != experiment.name ||
      (*again)->arms.size() != experiment.arms.size()) {
    __builtin_trap();
  }
  for (size_t i = 0; i < experiment.arms.size(); ++i) {
    const hrnn::ExperimentArm& a = experiment.arms[i];
    const hrnn::ExperimentArm& b = (*again)->arms[i];
    if (a.name != b.name || a.percent != b.percent || a.recipe != b.recipe) __builtin_trap();
  }
  return 0;
}
