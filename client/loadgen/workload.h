// WorkloadGenerator: the storefront traffic the load generator sends, one action at a time:
// users drawn from a Zipf distribution (or in turn), each visit a session with its own id in
// which the user clicks a few popularity-drawn items in a row and then leaves; recommendation
// requests carry the user's open session id; product pages ask for the items similar to a
// popularity-drawn item. Not thread-safe: one caller at a time.
#ifndef HRNN_CLIENT_LOADGEN_WORKLOAD_H_
#define HRNN_CLIENT_LOADGEN_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/loadgen/discrete_sampler.h"

namespace hrnn::client::loadgen {

enum class WorkloadKind {
  kRecommend,  // GetRecommendations only.
  kEvents,     // Events only (StreamEvents).
  kMix,        // events_per_recommend events (PutEvents) per GetRecommendations.
  kSimilar,    // GetSimilarItems only (no user: a product page).
};

// "recommend", "events", "mix", "similar"; InvalidArgument otherwise.
absl::StatusOr<WorkloadKind> ParseWorkloadKind(const std::string& name);
const char* WorkloadKindName(WorkloadKind kind);

struct WorkloadOptions {
  WorkloadKind kind = WorkloadKind::kRecommend;
  // Size of the user population (ids user_prefix + 0 .. users-1). Default: 10000. >= 1.
  int64_t users = 10000;
  // Zipf exponent of user popularity (user k is drawn ∝ 1/(k+1)^zipf; 0 = uniform).
  // Default: 1.0. >= 0.
  double zipf = 1.0;
  // Users in turn (0, 1, 2, ..., users-1, 0, ...) instead of drawn: touches every user with
  // `users` actions (to load N users' state). Default: false.
  bool users_sequential = false;
  // Mean number of clicks in a session (geometric, at least 1); the user then leaves and its
  // next visit is a new session. Default: 5. >= 1.
  double session_length = 5;
  // kMix: events per GetRecommendations (every (n+1)-th action is a recommendation). Default: 10.
  int events_per_recommend = 10;
  // Items are drawn ∝ popularity^item_skew (0 = uniform). Default: 1.0. >= 0.
  double item_skew = 1.0;
  // Prefix of user ids. Default: "lg-u".
  std::string user_prefix = "lg-u";
  // Seed of every random choice. Default: 1.
  uint64_t seed = 1;

  absl::Status Validate() const;
};

// One thing to send.
struct Action {
  enum class Type { kRecommend, kEvent, kSimilar };
  Type type = Type::kRecommend;
  std::string user_id;     // Empty for kSimilar.
  std::string session_id;  // Empty for a recommendation to a user between sessions.
  int64_t item = -1;       // kEvent, kSimilar: index into the item list.
};

class WorkloadGenerator {
 public:
  // `item_popularity` holds one entry per item (the catalogue order). Errors: InvalidArgument
  // for bad options or an empty item list.
  static absl::StatusOr<std::unique_ptr<WorkloadGenerator>> Create(
      const WorkloadOptions& options, const std::vector<int64_t>& item_popularity);

  // The next action: kRecommend workloads give only recommendations (with the session id of
  // the user's current visit; each visit makes session_length requests on average), kEvents
  // only events, kMix both in the events_per_recommend ratio, kSimilar only GetSimilarItems of
  // an item drawn by popularity (as events are).
  Action Next();

  // Sessions started so far.
  int64_t sessions_started() const { return sessions_started_; }

 private:
  struct OpenSession {
    int64_t number = 0;     // Global session counter value.
    int64_t remaining = 0;  // Actions left in the session.
  };

  WorkloadGenerator(const WorkloadOptions& options, DiscreteSampler users, DiscreteSampler items)
      : options_(options), users_(std::move(users)), items_(std::move(items)), gen_(options.seed) {}

  int64_t NextUser();
  int64_t SessionLength();

  const WorkloadOptions options_;
  const DiscreteSampler users_;
  const DiscreteSampler items_;
  std::mt19937_64 gen_;                             // Deterministic for a seed, on every platform.
  absl::flat_hash_map<int64_t, OpenSession> open_;  // By user rank.
  int64_t actions_ = 0;
  int64_t sessions_started_ = 0;
};

}  // namespace hrnn::client::loadgen

#endif  // HRNN_CLIENT_LOADGEN_WORKLOAD_H_
