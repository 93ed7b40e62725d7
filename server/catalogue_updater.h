// CatalogueUpdater: the one writer of the served catalogue's availability (PutItems). Each change
// is appended to the event log (EventRecord::Kind::kItemAvailability) before it is applied, so
// that an acknowledged change survives a restart (RecoverState replays it; snapshots keep the
// out-of-stock items, state_snapshot.h item 8b); a newly loaded model takes the availability of
// the one it replaces, by item id, before it is served (Serve).
// Thread-safe: one Mutex orders updates, model swaps and snapshot reads, so that no accepted
// change is lost between the model that took it and the next, and the log's order of changes is
// the order they were applied in.
#ifndef HRNN_SERVER_CATALOGUE_UPDATER_H_
#define HRNN_SERVER_CATALOGUE_UPDATER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/base/clock.h"
#include "core/base/mutex.h"
#include "core/serving/serving_model.h"
#include "core/state/event_log.h"

namespace hrnn {

// One item's requested availability.
struct AvailabilityChange {
  std::string item_id;
  bool available = true;
};

struct AvailabilityUpdate {
  int updated = 0;                            // Changes applied (items the model knows).
  std::vector<std::string> unknown_item_ids;  // Items not in the model's catalogue (not logged).
  uint64_t wait_seq = 0;                      // The log seq to wait for (0: nothing logged).
};

class CatalogueUpdater {
 public:
  // `model` (the handle requests read) and `clock` are borrowed; `log` may be null (no
  // durability: changes live as long as the process).
  CatalogueUpdater(ServingModelHandle* model, EventLog* log, const Clock* clock);

  // Logs, then applies `changes` in order to the served model. Items the model does not know are
  // listed, not logged. The caller acknowledges once the log holds wait_seq durably.
  // Errors: UNAVAILABLE when no model is served or the log has failed (nothing is applied).
  absl::StatusOr<AvailabilityUpdate> Apply(absl::Span<const AvailabilityChange> changes)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // What Apply would report for `changes` (updated / unknown_item_ids against the served model;
  // wait_seq 0), applying nothing: PutItems' answer when a CatalogueReplicator applies them.
  // Errors: UNAVAILABLE when no model is served.
  absl::StatusOr<AvailabilityUpdate> Classify(absl::Span<const AvailabilityChange> changes) const;

  // Marks in `next` the items the served model has out of stock (those `next` knows), then serves
  // `next` (ServingModelHandle::Set). Returns how many items were carried over.
  int64_t Serve(std::shared_ptr<const ServingModel> next) ABSL_LOCKS_EXCLUDED(mutex_);

  // The ids of the items the served model has out of stock, reflecting every change logged
  // before the call (for a snapshot taken at the log's next seq read before this call).
  std::vector<std::string> UnavailableItemIds() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  ServingModelHandle& model_;
  EventLog* const log_;
  const Clock& clock_;
  mutable Mutex mutex_;
};

// The ids of the items out of stock in `model`'s availability, in index order.
std::vector<std::string> UnavailableItemIdsOf(const ServingModel& model);

// Marks the items of `item_ids` that `model` knows as out of stock; returns how many it knew.
int64_t MarkUnavailable(const ServingModel& model, absl::Span<const std::string> item_ids);

}  // namespace hrnn

#endif  // HRNN_SERVER_CATALOGUE_UPDATER_H_
