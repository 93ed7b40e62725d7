#include "core/train/train_options.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace hrnn {
namespace {

absl::Status CheckRange(absl::string_view name, double value, double low, double high) {
  if (!(value >= low && value <= high)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be in [", low, ", ", high, "], got ", value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TrainOptions::Validate() const {
  for (const auto& [name, value, low, high] :
       {std::tuple<absl::string_view, double, double, double>{"hidden", hidden_size, 1, 4096},
        {"user_hidden", user_hidden_size, 1, 4096},
        {"embedding", embedding_size, 0, 4096},
        {"epochs", epochs, 0, 100000},
        {"batch", batch_size, 1, 65536},
        {"n_sample", n_sample, 0, 1 << 20},
        {"sample_alpha", sample_alpha, 0, 10},
        {"learning_rate", learning_rate, 1e-9, 100},
        {"momentum", momentum, 0, 0.999},
        {"adagrad_epsilon", adagrad_epsilon, 1e-12, 1},
        {"dropout_embedding", dropout_embedding, 0, 0.95},
        {"dropout_hidden", dropout_hidden, 0, 0.95},
        {"dropout_init", dropout_init, 0, 0.95},
        {"threads", threads, 1, 256},
        {"logq", loss.logq, 0, 10},
        {"bpreg", loss.bpreg, 0, 100},
        {"elu", loss.elu_param, 0, 100}}) {
    if (auto status = CheckRange(name, value, low, high); !status.ok()) return status;
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> TrainOptions::ToMap() const {
  return {{"mode", std::string(ModelModeName(mode))},
          {"loss", std::string(LossKindName(loss.kind))},
          {"logq", absl::StrCat(loss.logq)},
          {"bpreg", absl::StrCat(loss.bpreg)},
          {"elu", absl::StrCat(loss.elu_param)},
          {"hidden", absl::StrCat(hidden_size)},
          {"user_hidden", absl::StrCat(user_hidden_size)},
          {"embedding", absl::StrCat(embedding_size)},
          {"epochs", absl::StrCat(epochs)},
          {"batch", absl::StrCat(batch_size)},
          {"n_sample", absl::StrCat(n_sample)},
          {"sample_alpha", absl::StrCat(sample_alpha)},
          {"learning_rate", absl::StrCat(learning_rate)},
          {"momentum", absl::StrCat(momentum)},
          {"adagrad_epsilon", absl::StrCat(adagrad_epsilon)},
          {"dropout_embedding", absl::StrCat(dropout_embedding)},
          {"dropout_hidden", absl::StrCat(dropout_hidden)},
          {"dropout_init", absl::StrCat(dropout_init)},
          {"order", order == UnitOrder::kTime ? "time" : "random"},
          {"seed", absl::StrCat(seed)},
          {"threads", absl::StrCat(threads)}};
}

}  // namespace hrnn
