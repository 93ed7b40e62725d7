#include "core/serving/experiments.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/file_chunks.h"

namespace hrnn {
namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxArms = 100;

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-'; }

// Empty when `name` is a valid experiment or arm name, else why not.
std::string CheckName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) {
    return absl::StrCat("\"", absl::CHexEscape(name.substr(0, kMaxNameBytes + 1)),
                        "\" must be 1..64 characters");
  }
  for (const char c : name) {
    if (!IsNameChar(c)) {
      return absl::StrCat("\"", absl::CHexEscape(name),
                          "\" has a character outside [A-Za-z0-9_.-]");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::optional<Experiment>> ParseExperimentsFile(absl::string_view content,
                                                               absl::string_view source) {
  std::optional<Experiment> experiment;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    auto error = [&](absl::string_view field, absl::string_view reason) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number, ": ", field, field.empty() ? "" : ": ", reason));
    };
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;

    absl::flat_hash_map<std::string, std::string> fields;
    for (absl::string_view token :
         absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      const size_t equals = token.find('=');
      if (equals == absl::string_view::npos) {
        return error("", absl::StrCat("\"", absl::CHexEscape(token.substr(0, 80)),
                                      "\" is not KEY=VALUE (expected experiment=NAME arm=NAME "
                                      "percent=N recipe=RECIPE)"));
      }
      const std::string key(token.substr(0, equals));
      if (key == "version") {
        return error("version",
                     "arms by model version are not supported (one model version is served at "
                     "a time); split by recipe=");
      }
      if (key != "experiment" && key != "arm" && key != "percent" && key != "recipe") {
        return error(absl::CHexEscape(key.substr(0, 80)),
                     "unknown key (expected experiment, arm, percent, recipe)");
      }
      if (!fields.emplace(key, std::string(token.substr(equals + 1))).second) {
        return error(key, "given twice");
      }
    }
    for (const char* key : {"experiment", "arm", "percent", "recipe"}) {
      if (!fields.contains(key)) return error(key, "missing");
    }

    const std::string& name = fields["experiment"];
    if (std::string why = CheckName(name); !why.empty()) return error("experiment", why);
    if (!experiment.has_value()) {
      experiment.emplace().name = name;
    } else if (experiment->name != name) {
      return error("experiment", absl::StrCat("\"", name, "\": experiment \"", experiment->name,
                                              "\" is already defined; one experiment runs at a "
                                              "time"));
    }
    ExperimentArm arm;
    arm.name = fields["arm"];
    if (std::string why = CheckName(arm.name); !why.empty()) return error("arm", why);
    for (const ExperimentArm& other : experiment->arms) {
      if (other.name == arm.name)
        return error("arm", absl::StrCat("\"", arm.name, "\" given twice"));
    }
    if (experiment->arms.size() == kMaxArms) {
      return error("arm", absl::StrCat("more than ", kMaxArms, " arms"));
    }
    const std::string& percent = fields["percent"];
    if (!absl::SimpleAtoi(percent, &arm.percent) || arm.percent < 0 || arm.percent > 100) {
      return error("percent", absl::StrCat("\"", absl::CHexEscape(percent.substr(0, 80)),
                                           "\" is not an integer in 0..100"));
    }
    absl::StatusOr<RecipeKind> recipe = ParseRecipeKind(fields["recipe"]);
    if (!recipe.ok()) return error("recipe", recipe.status().message());
    arm.recipe = *recipe;
    experiment->arms.push_back(std::move(arm));
  }
  if (experiment.has_value()) {
    int sum = 0;
    for (const ExperimentArm& arm : experiment->arms) sum += arm.percent;
    if (sum != 100) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": experiment ", experiment->name,
                                                     ": percents sum to ", sum, ", expected 100"));
    }
  }
  return experiment;
}

absl::StatusOr<std::optional<Experiment>> ReadExperimentsFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadFileContents(path);
  if (!content.ok()) return content.status();
  return ParseExperimentsFile(*content, path);
}

uint32_t ExperimentBucket(absl::string_view experiment, absl::string_view user_id) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis.
  auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ull;  // FNV-1a 64 prime.
  };
  for (const char c : experiment) mix(static_cast<unsigned char>(c));
  mix(0);
  for (const char c : user_id) mix(static_cast<unsigned char>(c));
  return static_cast<uint32_t>(hash % kExperimentBuckets);
}

const ExperimentArm& AssignArm(const Experiment& experiment, absl::string_view user_id) {
  const uint32_t bucket = ExperimentBucket(experiment.name, user_id);
  uint32_t end = 0;
  for (const ExperimentArm& arm : experiment.arms) {
    end += static_cast<uint32_t>(arm.percent) * (kExperimentBuckets / 100);
    if (bucket < end) return arm;
  }
  return experiment.arms.back();  // Unreachable when the percents sum to 100.
}

}  // namespace hrnn
