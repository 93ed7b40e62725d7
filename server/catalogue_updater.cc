#include "server/catalogue_updater.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/kernels/top_k.h"
#include "core/state/event_record.h"

namespace hrnn {

CatalogueUpdater::CatalogueUpdater(ServingModelHandle* model, EventLog* log, const Clock* clock)
    : model_(*model), log_(log), clock_(*clock) {}

absl::StatusOr<AvailabilityUpdate> CatalogueUpdater::Apply(
    absl::Span<const AvailabilityChange> changes) {
  MutexLock lock(&mutex_);
  const std::shared_ptr<const ServingModel> model = model_.Get();
  if (model == nullptr) {
    return absl::UnavailableError("no model loaded yet (see the server log for why)");
  }
  if (log_ != nullptr && !log_->status().ok()) {
    return absl::UnavailableError(absl::StrCat("event log: ", log_->status().message()));
  }
  AvailabilityUpdate update;
  std::vector<std::pair<int64_t, bool>> resolved;
  resolved.reserve(changes.size());
  EventRecord record;
  record.kind = EventRecord::Kind::kItemAvailability;
  record.timestamp_ms = clock_.NowMs();
  for (const AvailabilityChange& change : changes) {
    const std::optional<int64_t> index = model->items().Find(change.item_id);
    if (!index.has_value()) {
      update.unknown_item_ids.push_back(change.item_id);
      continue;
    }
    if (log_ != nullptr) {
      record.item_id = change.item_id;
      record.item_available = change.available;
      const uint64_t seq = log_->Append(&record);
      if (seq == 0) {  // The log failed while appending: apply what it took, refuse the rest.
        model->availability->Update(resolved);
        return absl::UnavailableError(absl::StrCat("event log: ", log_->status().message()));
      }
      update.wait_seq = seq;
    }
    resolved.emplace_back(*index, change.available);
  }
  model->availability->Update(resolved);
  update.updated = static_cast<int>(resolved.size());
  return update;
}

absl::StatusOr<AvailabilityUpdate> CatalogueUpdater::Classify(
    absl::Span<const AvailabilityChange> changes) const {
  const std::shared_ptr<const ServingModel> model = model_.Get();
  if (model == nullptr) {
    return absl::UnavailableError("no model loaded yet (see the server log for why)");
  }
  AvailabilityUpdate update;
  for (const AvailabilityChange& change : changes) {
    if (model->items().Find(change.item_id).has_value()) {
      ++update.updated;
    } else {
      update.unknown_item_ids.push_back(change.item_id);
    }
  }
  return update;
}

int64_t CatalogueUpdater::Serve(std::shared_ptr<const ServingModel> next) {
  MutexLock lock(&mutex_);
  int64_t carried = 0;
  if (const std::shared_ptr<const ServingModel> current = model_.Get();
      current != nullptr && current != next) {
    carried = MarkUnavailable(*next, UnavailableItemIdsOf(*current));
  }
  model_.Set(std::move(next));
  return carried;
}

std::vector<std::string> CatalogueUpdater::UnavailableItemIds() const {
  MutexLock lock(&mutex_);
  const std::shared_ptr<const ServingModel> model = model_.Get();
  return model == nullptr ? std::vector<std::string>() : UnavailableItemIdsOf(*model);
}

std::vector<std::string> UnavailableItemIdsOf(const ServingModel& model) {
  std::vector<std::string> ids;
  const std::shared_ptr<const ItemAvailability::Mask> mask = model.availability->Snapshot();
  ItemExclusions(mask.get()).ForEach(model.items().size(), [&](int64_t index) {
    ids.push_back(model.items().id(index));
  });
  return ids;
}

int64_t MarkUnavailable(const ServingModel& model, absl::Span<const std::string> item_ids) {
  std::vector<std::pair<int64_t, bool>> changes;
  changes.reserve(item_ids.size());
  for (const std::string& id : item_ids) {
    if (const std::optional<int64_t> index = model.items().Find(id); index.has_value()) {
      changes.emplace_back(*index, false);
    }
  }
  model.availability->Update(changes);
  return static_cast<int64_t>(changes.size());
}

}  // namespace hrnn
