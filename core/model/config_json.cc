#include "core/model/config_json.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

using json = nlohmann::json;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config.json: \"", field, "\" ", what));
}

// Finds `field` in `object`; null when absent.
const json* FindField(const json& object, const char* field) {
  const auto it = object.find(field);
  return it == object.end() ? nullptr : &*it;
}

absl::Status GetInt64(const json& object, const char* field, int64_t* out) {
  const json* value = FindField(object, field);
  if (value == nullptr) return FieldError(field, "is missing");
  if (!value->is_number_integer()) return FieldError(field, "must be an integer");
  if (value->is_number_unsigned()) {
    const uint64_t u = value->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(field, "is out of range");
    }
    *out = static_cast<int64_t>(u);
  } else {
    *out = value->get<int64_t>();
  }
  return absl::OkStatus();
}

absl::Status GetInt(const json& object, const char* field, int* out) {
  int64_t value = 0;
  if (absl::Status s = GetInt64(object, field, &value); !s.ok()) return s;
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return FieldError(field, absl::StrCat("is out of range: ", value));
  }
  *out = static_cast<int>(value);
  return absl::OkStatus();
}

// An optional string field; leaves `out` unchanged when absent.
absl::Status GetOptionalString(const json& object, const char* field, std::string* out) {
  const json* value = FindField(object, field);
  if (value == nullptr) return absl::OkStatus();
  if (!value->is_string()) return FieldError(field, "must be a string");
  *out = value->get<std::string>();
  return absl::OkStatus();
}

bool IsHexDigest(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::Status ParseFiles(const json& object, std::map<std::string, FileDigest>* files) {
  const json* value = FindField(object, "files");
  if (value == nullptr) return FieldError("files", "is missing");
  if (!value->is_object()) return FieldError("files", "must be an object");
  for (auto it = value->begin(); it != value->end(); ++it) {
    const std::string field = absl::StrCat("files.", it.key());
    const json& entry = it.value();
    if (!entry.is_object()) return FieldError(field, "must be an object");
    FileDigest digest;
    const json* sha = FindField(entry, "sha256");
    if (sha == nullptr) return FieldError(field + ".sha256", "is missing");
    if (!sha->is_string() || !IsHexDigest(sha->get_ref<const std::string&>())) {
      return FieldError(field + ".sha256", "must be 64 lower-case hex digits");
    }
    digest.sha256 = sha->get<std::string>();
    const json* bytes = FindField(entry, "bytes");
    if (bytes == nullptr) return FieldError(field + ".bytes", "is missing");
    if (!bytes->is_number_unsigned() ||
        bytes->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(field + ".bytes", "must be a non-negative integer");
    }
    digest.bytes = static_cast<int64_t>(bytes->get<uint64_t>());
    files->emplace(it.key(), std::move(digest));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ModelConfigToJson(const ModelConfig& config,
                              const std::map<std::string, FileDigest>& files) {
  // nlohmann::json objects are ordered by key; that order is fine and deterministic.
  json root = json::object();
  root["format_version"] = kModelConfigFormatVersion;
  root["mode"] = std::string(ModelModeName(config.mode));
  root["num_items"] = config.num_items;
  root["hidden_size"] = config.hidden_size;
  root["user_hidden_size"] = config.user_hidden_size;
  root["embedding_size"] = config.embedding_size;
  root["loss"] = config.loss;
  root["data_fingerprint"] = config.data_fingerprint;
  root["created_at"] = config.created_at;
  json training = json::object();
  for (const auto& [key, value] : config.training) training[key] = value;
  root["training"] = std::move(training);
  json metrics = json::object();
  for (const auto& [key, value] : config.metrics) {
    metrics[key] = std::isfinite(value) ? json(value) : json(nullptr);
  }
  root["metrics"] = std::move(metrics);
  json files_json = json::object();
  for (const auto& [name, digest] : files) {
    files_json[name] = {{"sha256", digest.sha256}, {"bytes", digest.bytes}};
  }
  root["files"] = std::move(files_json);
  // `replace` keeps dump() from throwing on invalid UTF-8 (a REQUIRES violation).
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

absl::StatusOr<ParsedConfigJson> ParseModelConfigJson(absl::string_view text) {
  const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("config.json: not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("config.json: not a JSON object");

  int64_t format_version = 0;
  if (absl::Status s = GetInt64(root, "format_version", &format_version); !s.ok()) return s;
  if (format_version != kModelConfigFormatVersion) {
    return FieldError("format_version", absl::StrCat("is ", format_version, "; this build reads ",
                                                     kModelConfigFormatVersion));
  }

  ParsedConfigJson parsed;
  ModelConfig& config = parsed.config;
  const json* mode = FindField(root, "mode");
  if (mode == nullptr) return FieldError("mode", "is missing");
  if (!mode->is_string()) return FieldError("mode", "must be a string");
  absl::StatusOr<ModelMode> parsed_mode = ParseModelMode(mode->get_ref<const std::string&>());
  if (!parsed_mode.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config.json: ", parsed_mode.status().message()));
  }
  config.mode = *parsed_mode;
  if (absl::Status s = GetInt64(root, "num_items", &config.num_items); !s.ok()) return s;
  if (absl::Status s = GetInt(root, "hidden_size", &config.hidden_size); !s.ok()) return s;
  if (absl::Status s = GetInt(root, "user_hidden_size", &config.user_hidden_size); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetInt(root, "embedding_size", &config.embedding_size); !s.ok()) return s;
  if (absl::Status s = GetOptionalString(root, "loss", &config.loss); !s.ok()) return s;
  if (absl::Status s = GetOptionalString(root, "data_fingerprint", &config.data_fingerprint);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetOptionalString(root, "created_at", &config.created_at); !s.ok()) {
    return s;
  }

  if (const json* training = FindField(root, "training"); training != nullptr) {
    if (!training->is_object()) return FieldError("training", "must be an object");
    for (auto it = training->begin(); it != training->end(); ++it) {
      if (!it.value().is_string()) {
        return FieldError(absl::StrCat("training.", it.key()), "must be a string");
      }
      config.training[it.key()] = it.value().get<std::string>();
    }
  }
  if (const json* metrics = FindField(root, "metrics"); metrics != nullptr) {
    if (!metrics->is_object()) return FieldError("metrics", "must be an object");
    for (auto it = metrics->begin(); it != metrics->end(); ++it) {
      if (it.value().is_null()) {
        config.metrics[it.key()] = std::numeric_limits<double>::quiet_NaN();
      } else if (it.value().is_number()) {
        config.metrics[it.key()] = it.value().get<double>();
      } else {
        return FieldError(absl::StrCat("metrics.", it.key()), "must be a number");
      }
    }
  }
  if (absl::Status s = ParseFiles(root, &parsed.files); !s.ok()) return s;
  if (absl::Status s = config.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("config.json: ", s.message()));
  }
  return parsed;
}

}  // namespace hrnn
