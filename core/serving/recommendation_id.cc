#include "core/serving/recommendation_id.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include "absl/strings/str_cat.h"

namespace hrnn {

std::string NewRecommendationId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  char buffer[kRecommendationIdRandomChars + 1];
  std::snprintf(buffer, sizeof(buffer), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buffer;
}

std::string RecommendationIdWithArm(absl::string_view random_id, absl::string_view experiment,
                                    absl::string_view arm) {
  return absl::StrCat(random_id, ":", experiment, ":", arm);
}

std::optional<ParsedRecommendationId> ParseRecommendationId(absl::string_view id) {
  if (id.size() < kRecommendationIdRandomChars) return std::nullopt;
  ParsedRecommendationId parsed;
  parsed.random = id.substr(0, kRecommendationIdRandomChars);
  for (const char c : parsed.random) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  absl::string_view rest = id.substr(kRecommendationIdRandomChars);
  if (rest.empty()) return parsed;
  if (rest.front() != ':') return std::nullopt;
  rest.remove_prefix(1);
  const size_t colon = rest.find(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  parsed.experiment = rest.substr(0, colon);
  parsed.arm = rest.substr(colon + 1);
  if (parsed.experiment.empty() || parsed.arm.empty() ||
      parsed.arm.find(':') != absl::string_view::npos) {
    return std::nullopt;
  }
  return parsed;
}

}  // namespace hrnn
