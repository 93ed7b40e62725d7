// Recommendation ids: what GetRecommendations and GetSimilarItems answer in `recommendation_id`
// and clients send back in Event.recommendation_id. 128 random bits as 32 lowercase hex digits;
// a call that was part of an experiment (experiments.h) carries its arm after them,
// "<32 hex>:<experiment>:<arm>", so that an event sent back with the id is attributed to the arm
// on any replica and after any restart with nothing stored (names cannot hold ":").
// Stateless functions; NewRecommendationId uses a per-thread generator: thread-safe.
#ifndef HRNN_CORE_SERVING_RECOMMENDATION_ID_H_
#define HRNN_CORE_SERVING_RECOMMENDATION_ID_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace hrnn {

inline constexpr size_t kRecommendationIdRandomChars = 32;

// A fresh id: 32 lowercase hex digits from a per-thread 64-bit Mersenne Twister seeded from
// std::random_device.
std::string NewRecommendationId();

// `random_id` + ":" + experiment + ":" + arm.
std::string RecommendationIdWithArm(absl::string_view random_id, absl::string_view experiment,
                                    absl::string_view arm);

// An id in the server's format, split.
struct ParsedRecommendationId {
  absl::string_view random;      // The 32 hex digits.
  absl::string_view experiment;  // Empty when the id carries no arm.
  absl::string_view arm;
};

// nullopt unless `id` is 32 lowercase hex digits, optionally followed by ":EXPERIMENT:ARM" with
// both names non-empty and free of ":" (the views point into `id`).
std::optional<ParsedRecommendationId> ParseRecommendationId(absl::string_view id);

}  // namespace hrnn

#endif  // HRNN_CORE_SERVING_RECOMMENDATION_ID_H_
