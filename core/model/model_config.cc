#include "core/model/model_config.h"

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {
constexpr int kMaxDimension = 4096;
constexpr int64_t kMaxItems = (int64_t{1} << 31) - 1;

absl::Status CheckDimension(absl::string_view field, int value, bool allow_zero) {
  if (value < (allow_zero ? 0 : 1) || value > kMaxDimension) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be in ", allow_zero ? 0 : 1, "..",
                                                   kMaxDimension, ", got ", value));
  }
  return absl::OkStatus();
}
}  // namespace

absl::string_view ModelModeName(ModelMode mode) {
  switch (mode) {
    case ModelMode::kSessionOnly:
      return "session";
    case ModelMode::kHrnnInit:
      return "hrnn-init";
    case ModelMode::kHrnnAll:
      return "hrnn-all";
  }
  return "unknown";
}

absl::StatusOr<ModelMode> ParseModelMode(absl::string_view name) {
  for (ModelMode mode : {ModelMode::kSessionOnly, ModelMode::kHrnnInit, ModelMode::kHrnnAll}) {
    if (name == ModelModeName(mode)) return mode;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("mode must be one of session, hrnn-init, hrnn-all; got \"", name, "\""));
}

int ModelConfig::SessionInputSize() const {
  return InputEmbeddingSize() + (mode == ModelMode::kHrnnAll ? user_hidden_size : 0);
}

absl::Status ModelConfig::Validate() const {
  if (num_items < 1 || num_items > kMaxItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_items must be in 1..", kMaxItems, ", got ", num_items));
  }
  if (auto s = CheckDimension("hidden_size", hidden_size, false); !s.ok()) return s;
  if (auto s = CheckDimension("user_hidden_size", user_hidden_size, false); !s.ok()) return s;
  if (auto s = CheckDimension("embedding_size", embedding_size, true); !s.ok()) return s;
  return absl::OkStatus();
}

}  // namespace hrnn
