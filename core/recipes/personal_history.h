// The `personal` recipe (DESIGN §2b): the user's own items again — repeats, "reminders" and
// repurchase (Latifi, Mauro & Jannach 2021) — scored by count and recency decay from the
// user's interactions. A pure function of its arguments: thread-safe.
#ifndef HRNN_CORE_RECIPES_PERSONAL_HISTORY_H_
#define HRNN_CORE_RECIPES_PERSONAL_HISTORY_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/recipes/sparse_scores.h"

namespace hrnn {

// Times in the recipes are int64 seconds since the epoch (hrnn-eval's Dataset timestamps; the
// server divides its milliseconds by 1000).
struct PersonalHistoryOptions {
  // An interaction's weight halves every half_life_seconds of age; +infinity = plain counts
  // (ties then fall to the caller's order: the server's, by popularity). Default: 7 days.
  double half_life_seconds = 7 * 24 * 3600.0;
  // The weight of an interaction of the open session relative to an earlier one: 1 counts the
  // current session like the rest of the history (Personal Pop with the current session, DESIGN
  // §3); 0 ignores it (right where a basket never repeats its own lines, as in UCI Online
  // Retail); hrnn-train chooses it on validation. Default: 1.
  double session_weight = 1.0;

  // InvalidArgument naming the field unless half_life_seconds > 0 (NaN is rejected) and
  // session_weight is finite and >= 0.
  absl::Status Validate() const;
};

// `count` interactions of the user with `item`, the latest at `last_time`; `session_count` of
// them (0 <= session_count <= count) in the open session.
struct ItemInteraction {
  int32_t item = 0;
  int32_t count = 1;
  int64_t last_time = 0;
  int32_t session_count = 0;

  bool operator==(const ItemInteraction&) const = default;
};

// Adds, for every entry e of `interactions`,
//   (e.count - e.session_count + session_weight * e.session_count) * 2^(-age / half_life),
//   age = max(0, now - e.last_time) (a future time counts as now),
// into (*scores)[e.item]; entries of the same item add up (2^(-age / half_life) =
// exp(-ln 2 * age / half_life)). So per-event entries (count 1 at each event's time) give
// exactly the sum over interactions of the decay, and aggregated entries (count, last time) give
// count times the decay of the latest one. The caller includes the current session's clicks in
// the counts and says how many they are in session_count: they are the user's interactions too,
// weighted by session_weight. Entries whose weighted count is 0 add nothing.
// Errors: InvalidArgument if options are invalid, or an entry has item outside
// [0, scores->num_items()), count < 0 or session_count outside [0, count] (naming the entry;
// nothing is added then).
absl::Status ScorePersonalHistory(absl::Span<const ItemInteraction> interactions, int64_t now,
                                  const PersonalHistoryOptions& options, SparseScores* scores);

// The user's training history (UserItemHistory, user_item_history.h) next to the live state:
// raises (*scores)[e.item], for every entry e of `training`, to
//   e.count * 2^(-age / half_life),   age = max(0, now - e.last_time),
// where that is larger (an item untouched so far gets it). So each item scores the larger of
// what the live state said (ScorePersonalHistory, called first) and what the training log says.
// Not their sum: the live history may hold all, part or none of the training interactions (it
// keeps 24 items, and a server replays only recent events into it), and adding both would count
// some twice. session_weight does not apply (the training log has no open session).
// Errors: as ScorePersonalHistory (session_count must be 0 here); nothing is changed then.
absl::Status MergeTrainingHistory(absl::Span<const ItemInteraction> training, int64_t now,
                                  const PersonalHistoryOptions& options, SparseScores* scores);

}  // namespace hrnn

#endif  // HRNN_CORE_RECIPES_PERSONAL_HISTORY_H_
