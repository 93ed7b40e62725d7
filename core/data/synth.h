// Seeded generator of realistic synthetic interaction logs (Personalize CSV) for `hrnn-synth`:
// items in taste clusters with Zipf popularity, users with a lasting, slowly drifting taste who
// return over weeks, sequential structure inside sessions, gift sessions and purchases.
// Stateless functions (thread-safe); SyntheticCatalog is immutable after Create().
#ifndef HRNN_CORE_DATA_SYNTH_H_
#define HRNN_CORE_DATA_SYNTH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

struct SynthOptions {
  // Users, each with at least one session of >= 2 events. Default: 1000.
  int64_t users = 1000;
  // Catalogue size; item ids are i0 .. i<items-1>. Default: 10000.
  int64_t items = 10000;
  // Total rows written (clicks and purchases), exactly. Must be >= 2 * users. Default: 100000.
  int64_t events = 100000;
  // Default: 1.
  uint64_t seed = 1;
  // Taste clusters; 0 = automatic (items / 100, clamped to [1, 1000]). Default: 0.
  int64_t clusters = 0;
  // Zipf exponent of item popularity inside a cluster and of cluster popularity. Default: 1.0.
  double zipf = 1.0;
  // Share of sessions that are one-off "gifts" from a random cluster. Default: 0.1.
  double gift_share = 0.1;
  // Per-session probability that one of the user's favourite clusters is replaced. Default: 0.03.
  double drift = 0.03;
  // Probability that a click is followed by a purchase of the same item. Default: 0.05.
  double purchase_share = 0.05;
  // Probability that the next click is "near" the previous item in its cluster. Default: 0.6.
  double near_share = 0.6;
  // Probability that the next click returns to the user's own favourite items (near the "home"
  // of one of the user's favourite clusters): the lasting, personal taste that only a user-level
  // state can carry from one session to the next. near_share + personal_share <= 0.85.
  // Default: 0.2.
  double personal_share = 0.2;
  // Mean session length in rows (>= 2). Default: 6.
  double mean_session_length = 6.0;
  // Mean days between a user's sessions (each gap is also at least 2 hours). Default: 3.
  double mean_gap_days = 3.0;
  // Epoch seconds of the earliest possible event. Default: 1700000000 (2023-11-14).
  int64_t start_time = 1700000000;

  // Errors: InvalidArgument naming the field.
  absl::Status Validate() const;
  // `clusters`, with 0 resolved.
  int64_t num_clusters() const;
};

struct SynthStats {
  int64_t users = 0;
  int64_t sessions = 0;
  int64_t gift_sessions = 0;
  int64_t events = 0;  // Rows: clicks + purchases.
  int64_t clicks = 0;
  int64_t purchases = 0;
  int64_t distinct_items = 0;
  int64_t first_timestamp = 0;
  int64_t last_timestamp = 0;

  // "users U, sessions S (G gifts), events E (C clicks, P purchases), items I, days D".
  std::string ToString() const;
};

// The generator's catalogue: which cluster each item belongs to (for tests and analysis).
class SyntheticCatalog {
 public:
  // Builds the catalogue the generator uses for `options`. Errors: options.Validate().
  static absl::StatusOr<SyntheticCatalog> Create(const SynthOptions& options);

  int64_t num_items() const { return static_cast<int64_t>(cluster_of_id_.size()); }
  int64_t num_clusters() const { return num_clusters_; }
  // The cluster of the item with id "i<k>", or nullopt for an id not in the catalogue.
  std::optional<int64_t> ClusterOf(absl::string_view item_id) const;

 private:
  std::vector<int32_t> cluster_of_id_;
  int64_t num_clusters_ = 0;
};

// Writes the log to `path` as Personalize CSV with header
// USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE (gzip-compressed when `path` ends in ".gz"),
// user by user in constant memory (beyond O(items)). The same options give the same bytes.
// Rows of a user are in time order; EVENT_TYPE is click or purchase; EVENT_VALUE is the price
// for purchases and empty for clicks. Errors: options.Validate(); the errno status of a failed
// open, write or close (naming the path).
absl::StatusOr<SynthStats> WriteSyntheticCsv(const SynthOptions& options, const std::string& path);

// Writes the catalogue's items CSV (core/catalogue/items_csv.h) for the same `options` to
// `path` (gzip when it ends in ".gz"), header ITEM_ID,CATEGORY,COLOR,SIZE,PRICE,
// CREATION_TIMESTAMP: one row per catalogue item, then `new_items` items i<items>.. that no log
// row names, created after `created_after_s` (epoch seconds; the log's last timestamp), as a
// shop's new arrivals are. The attributes follow the taste clusters, so they correlate with
// each user's lasting taste: CATEGORY is the cluster's group (about 20 groups of neighbouring
// clusters), COLOR the cluster's dominant colour for 70% of its items (one of 10 otherwise),
// SIZE the cluster's fit ("XS|S|M", "S|M|L" or "L|XL|XXL": several values), PRICE the price the
// log's purchases carry (new items: drawn the same way). Catalogue items are created up to 180
// days before options.start_time. New items pick a cluster by its popularity. The same
// arguments give the same bytes. Returns the rows written. Errors: options.Validate(), a
// negative new_items, and the errno status of a failed open, write or close.
absl::StatusOr<int64_t> WriteSyntheticItemsCsv(const SynthOptions& options, int64_t new_items,
                                               int64_t created_after_s, const std::string& path);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_SYNTH_H_
