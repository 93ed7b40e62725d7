#include "core/recipes/recipe_files.h"

#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/recipes/internal/bytes.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

// personal.half_life_seconds for undecayed counts (+infinity in PersonalHistoryOptions).
constexpr char kNoDecay[] = "none";

constexpr char kSessionsMagic[8] = {'H', 'R', 'N', 'N', 'S', 'E', 'S', '\0'};
constexpr uint64_t kMaxSessions = (uint64_t{1} << 31) - 1;
constexpr uint64_t kMaxClicks = uint64_t{1} << 40;

using internal::BytesReader;
using internal::Put;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(kSessionsFileName, ": ", what));
}

absl::Status JsonError(absl::string_view key, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(kRecipesFileName, ": \"", key, "\" ", what));
}

const std::set<std::string>& BlendComponentNames() {
  static const std::set<std::string> names = {"hrnn", "sknn", "sr", "personal", "trending"};
  return names;
}

// Reads `object` (a JSON object) whose keys must all be in `allowed`.
absl::Status CheckKeys(const nlohmann::json& object, absl::string_view where,
                       const std::set<std::string>& allowed) {
  if (!object.is_object()) return JsonError(where, "is not an object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) return JsonError(absl::StrCat(where, ".", key), "is not known");
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadNumber(const nlohmann::json& object, absl::string_view where, const char* key,
                        T* out) {
  if (!object.contains(key)) return absl::OkStatus();  // Keeps the default.
  const nlohmann::json& value = object.at(key);
  if (!value.is_number()) return JsonError(absl::StrCat(where, ".", key), "is not a number");
  if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer()) {
      return JsonError(absl::StrCat(where, ".", key), "is not an integer");
    }
  }
  *out = value.get<T>();
  return absl::OkStatus();
}

}  // namespace

std::string SerializeTrainingSessions(const TrainingSessions& sessions) {
  std::string out(kSessionsMagic, sizeof(kSessionsMagic));
  Put<uint32_t>(&out, kSessionsFormatVersion);
  Put<uint32_t>(&out, static_cast<uint32_t>(sessions.num_items));
  Put<uint64_t>(&out, static_cast<uint64_t>(sessions.num_sessions()));
  Put<uint64_t>(&out, static_cast<uint64_t>(sessions.items.size()));
  for (int64_t s = 0; s < sessions.num_sessions(); ++s) {
    Put<int64_t>(&out, sessions.last_time[s]);
    Put<uint32_t>(&out, static_cast<uint32_t>(sessions.begin[s + 1] - sessions.begin[s]));
  }
  out.reserve(out.size() + sessions.items.size() * sizeof(int32_t));
  for (int32_t item : sessions.items) Put<int32_t>(&out, item);
  return out;
}

absl::StatusOr<TrainingSessions> ParseTrainingSessions(absl::string_view bytes,
                                                       int32_t expected_num_items) {
  BytesReader reader("");
  HRNN_ASSIGN_OR_RETURN(
      internal::CountsHeader header,
      internal::ReadCountsHeader(bytes, absl::string_view(kSessionsMagic, sizeof(kSessionsMagic)),
                                 "a sessions file", kSessionsFormatVersion, expected_num_items,
                                 kSessionsFileName, &reader));
  const uint64_t num_sessions = header.first;
  const uint64_t num_clicks = header.second;
  if (num_sessions > kMaxSessions)
    return Invalid(absl::StrCat("too many sessions: ", num_sessions));
  if (num_clicks > kMaxClicks) return Invalid(absl::StrCat("too many clicks: ", num_clicks));
  // Check the exact size before allocating anything from the counts.
  const uint64_t expected = num_sessions * 12 + num_clicks * 4;
  if (reader.remaining() != expected) {
    return Invalid(absl::StrCat("size after the header is ", reader.remaining(),
                                " bytes; the counts need ", expected));
  }
  TrainingSessions sessions;
  sessions.num_items = expected_num_items;
  sessions.begin.reserve(num_sessions + 1);
  sessions.last_time.reserve(num_sessions);
  uint64_t total = 0;
  for (uint64_t s = 0; s < num_sessions; ++s) {
    int64_t time = 0;
    uint32_t length = 0;
    reader.Get(&time);
    reader.Get(&length);
    total += length;
    if (total > num_clicks) {
      return Invalid(
          absl::StrCat("session ", s, ": lengths add up to more than ", num_clicks, " clicks"));
    }
    sessions.last_time.push_back(time);
    sessions.begin.push_back(static_cast<int64_t>(total));
  }
  if (total != num_clicks) {
    return Invalid(absl::StrCat("lengths add up to ", total, " clicks, header says ", num_clicks));
  }
  sessions.items.resize(num_clicks);
  int64_t session = 0;
  for (uint64_t c = 0; c < num_clicks; ++c) {
    int32_t item = 0;
    reader.Get(&item);
    while (sessions.begin[session + 1] <= static_cast<int64_t>(c)) ++session;
    if (item < 0 || item >= sessions.num_items) {
      return Invalid(absl::StrCat("session ", session, " position ",
                                  static_cast<int64_t>(c) - sessions.begin[session], ": item ",
                                  item, " is outside [0, ", sessions.num_items, ")"));
    }
    sessions.items[c] = item;
  }
  return sessions;
}

std::vector<IndexedSession> IndexedSessionsOf(const TrainingSessions& sessions) {
  std::vector<IndexedSession> out(sessions.num_sessions());
  for (int64_t s = 0; s < sessions.num_sessions(); ++s) {
    out[s] = IndexedSession{sessions.session(s), sessions.last_time[s]};
  }
  return out;
}

std::vector<absl::Span<const int32_t>> SessionSpansOf(const TrainingSessions& sessions) {
  std::vector<absl::Span<const int32_t>> out(sessions.num_sessions());
  for (int64_t s = 0; s < sessions.num_sessions(); ++s) out[s] = sessions.session(s);
  return out;
}

bool RecipeSettings::Serves(RecipeKind kind) const {
  for (RecipeKind served : recipes) {
    if (served == kind) return true;
  }
  return false;
}

absl::Status RecipeSettings::Validate() const {
  if (!Serves(RecipeKind::kHrnn)) return JsonError("recipes", "must include \"hrnn\"");
  if (!Serves(default_recipe)) {
    return JsonError("default", absl::StrCat("names \"", RecipeKindName(default_recipe),
                                             "\", which is not among \"recipes\""));
  }
  HRNN_RETURN_IF_ERROR(sknn.Validate());
  HRNN_RETURN_IF_ERROR(sr.Validate());
  HRNN_RETURN_IF_ERROR(personal.Validate());
  HRNN_RETURN_IF_ERROR(trending.Validate());
  HRNN_RETURN_IF_ERROR(similar_items.Validate());
  double total = 0;
  for (const auto& [name, weight] : blend) {
    if (!BlendComponentNames().contains(name)) {
      return JsonError(absl::StrCat("blend.", name), "is not a blend component");
    }
    if (!std::isfinite(weight) || weight < 0) {
      return JsonError(absl::StrCat("blend.", name), "must be a finite weight >= 0");
    }
    absl::StatusOr<RecipeKind> kind = ParseRecipeKind(name);
    if (weight > 0 && (!kind.ok() || !Serves(*kind))) {
      return JsonError(absl::StrCat("blend.", name), "weighs a recipe this version does not serve");
    }
    total += weight;
  }
  if (Serves(RecipeKind::kAuto) && !(total > 0)) {
    return JsonError("blend", "needs a positive weight when \"auto\" is served");
  }
  if (!Serves(RecipeKind::kAuto) && !blend.empty()) {
    return JsonError("blend", "is set but \"auto\" is not served");
  }
  return absl::OkStatus();
}

std::string RecipeSettingsToJson(const RecipeSettings& settings) {
  nlohmann::ordered_json json;
  json["format_version"] = 1;
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (RecipeKind kind : settings.recipes) names.push_back(std::string(RecipeKindName(kind)));
  json["recipes"] = names;
  json["default"] = std::string(RecipeKindName(settings.default_recipe));
  json["sknn"] = {
      {"k", settings.sknn.k},
      {"sample_size", settings.sknn.sample_size},
      {"similarity", settings.sknn.similarity == SessionSimilarity::kVec ? "vec" : "cosine"}};
  json["sr"] = {{"max_distance", settings.sr.max_distance},
                {"max_rules_per_item", settings.sr.max_rules_per_item}};
  // JSON has no infinity: "none" is the personal recipe's undecayed counts.
  json["personal"] = {
      {"half_life_seconds", std::isinf(settings.personal.half_life_seconds)
                                ? nlohmann::ordered_json(kNoDecay)
                                : nlohmann::ordered_json(settings.personal.half_life_seconds)},
      {"session_weight", settings.personal.session_weight}};
  json["trending"] = {{"half_life_seconds", settings.trending.half_life_seconds}};
  if (!settings.blend.empty()) {
    nlohmann::ordered_json blend = nlohmann::ordered_json::object();
    for (const auto& [name, weight] : settings.blend) blend[name] = weight;
    json["blend"] = blend;
  }
  json["similar_items"] = {{"cooccurrence", settings.similar_items.cooccurrence_weight},
                           {"hrnn", settings.similar_items.hrnn_weight}};
  nlohmann::ordered_json validation = nlohmann::ordered_json::object();
  for (const auto& [name, figures] : settings.validation) {
    validation[name] = {{"recall@20", figures.recall_at_20},
                        {"mrr@20", figures.mrr_at_20},
                        {"predictions", figures.predictions}};
  }
  json["validation"] = validation;
  return json.dump(2) + "\n";
}

absl::StatusOr<RecipeSettings> ParseRecipeSettingsJson(absl::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(kRecipesFileName, ": not valid JSON"));
  }
  HRNN_RETURN_IF_ERROR(CheckKeys(json, "(top level)",
                                 {"format_version", "recipes", "default", "sknn", "sr", "personal",
                                  "trending", "blend", "similar_items", "validation"}));
  if (!json.contains("format_version") || json["format_version"] != 1) {
    return JsonError("format_version", "must be 1");
  }
  RecipeSettings settings;
  if (!json.contains("recipes") || !json["recipes"].is_array()) {
    return JsonError("recipes", "must be an array of recipe names");
  }
  std::string list;
  for (const nlohmann::json& name : json["recipes"]) {
    if (!name.is_string()) return JsonError("recipes", "must hold strings");
    if (!list.empty()) list += ",";
    list += name.get<std::string>();
  }
  absl::StatusOr<std::vector<RecipeKind>> recipes = ParseRecipeList(list);
  if (!recipes.ok()) return JsonError("recipes", recipes.status().message());
  settings.recipes = *std::move(recipes);
  if (!json.contains("default") || !json["default"].is_string()) {
    return JsonError("default", "must be a recipe name");
  }
  absl::StatusOr<RecipeKind> default_recipe = ParseRecipeKind(json["default"].get<std::string>());
  if (!default_recipe.ok()) return JsonError("default", default_recipe.status().message());
  settings.default_recipe = *default_recipe;

  if (json.contains("sknn")) {
    const nlohmann::json& sknn = json["sknn"];
    HRNN_RETURN_IF_ERROR(CheckKeys(sknn, "sknn", {"k", "sample_size", "similarity"}));
    HRNN_RETURN_IF_ERROR(ReadNumber(sknn, "sknn", "k", &settings.sknn.k));
    HRNN_RETURN_IF_ERROR(ReadNumber(sknn, "sknn", "sample_size", &settings.sknn.sample_size));
    if (sknn.contains("similarity")) {
      if (sknn["similarity"] == "vec") {
        settings.sknn.similarity = SessionSimilarity::kVec;
      } else if (sknn["similarity"] == "cosine") {
        settings.sknn.similarity = SessionSimilarity::kCosine;
      } else {
        return JsonError("sknn.similarity", "must be \"vec\" or \"cosine\"");
      }
    }
  }
  if (json.contains("sr")) {
    const nlohmann::json& sr = json["sr"];
    HRNN_RETURN_IF_ERROR(CheckKeys(sr, "sr", {"max_distance", "max_rules_per_item"}));
    HRNN_RETURN_IF_ERROR(ReadNumber(sr, "sr", "max_distance", &settings.sr.max_distance));
    HRNN_RETURN_IF_ERROR(
        ReadNumber(sr, "sr", "max_rules_per_item", &settings.sr.max_rules_per_item));
  }
  if (json.contains("personal")) {
    nlohmann::json& personal = json["personal"];
    HRNN_RETURN_IF_ERROR(CheckKeys(personal, "personal", {"half_life_seconds", "session_weight"}));
    if (personal.contains("half_life_seconds") && personal["half_life_seconds"].is_string()) {
      if (personal["half_life_seconds"].get<std::string>() != kNoDecay) {
        return JsonError("personal.half_life_seconds",
                         absl::StrCat("is neither a number nor \"", kNoDecay, "\""));
      }
      settings.personal.half_life_seconds = std::numeric_limits<double>::infinity();
      personal.erase("half_life_seconds");
    }
    HRNN_RETURN_IF_ERROR(ReadNumber(personal, "personal", "half_life_seconds",
                                    &settings.personal.half_life_seconds));
    HRNN_RETURN_IF_ERROR(
        ReadNumber(personal, "personal", "session_weight", &settings.personal.session_weight));
  }
  if (json.contains("trending")) {
    HRNN_RETURN_IF_ERROR(CheckKeys(json["trending"], "trending", {"half_life_seconds"}));
    HRNN_RETURN_IF_ERROR(ReadNumber(json["trending"], "trending", "half_life_seconds",
                                    &settings.trending.half_life_seconds));
  }
  if (json.contains("blend")) {
    if (!json["blend"].is_object()) return JsonError("blend", "is not an object");
    for (const auto& [name, weight] : json["blend"].items()) {
      if (!weight.is_number()) return JsonError(absl::StrCat("blend.", name), "is not a number");
      settings.blend[name] = weight.get<double>();
    }
  }
  if (json.contains("similar_items")) {
    const nlohmann::json& similar = json["similar_items"];
    HRNN_RETURN_IF_ERROR(CheckKeys(similar, "similar_items", {"cooccurrence", "hrnn"}));
    HRNN_RETURN_IF_ERROR(ReadNumber(similar, "similar_items", "cooccurrence",
                                    &settings.similar_items.cooccurrence_weight));
    HRNN_RETURN_IF_ERROR(
        ReadNumber(similar, "similar_items", "hrnn", &settings.similar_items.hrnn_weight));
  }
  if (json.contains("validation")) {
    if (!json["validation"].is_object()) return JsonError("validation", "is not an object");
    for (const auto& [name, figures] : json["validation"].items()) {
      const std::string where = absl::StrCat("validation.", name);
      HRNN_RETURN_IF_ERROR(CheckKeys(figures, where, {"recall@20", "mrr@20", "predictions"}));
      RecipeValidation& out = settings.validation[name];
      HRNN_RETURN_IF_ERROR(ReadNumber(figures, where, "recall@20", &out.recall_at_20));
      HRNN_RETURN_IF_ERROR(ReadNumber(figures, where, "mrr@20", &out.mrr_at_20));
      HRNN_RETURN_IF_ERROR(ReadNumber(figures, where, "predictions", &out.predictions));
    }
  }
  if (absl::Status status = settings.Validate(); !status.ok()) {
    if (absl::StartsWith(status.message(), kRecipesFileName)) return status;
    return absl::InvalidArgumentError(absl::StrCat(kRecipesFileName, ": ", status.message()));
  }
  return settings;
}

}  // namespace hrnn
