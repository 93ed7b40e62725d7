#include "core/train/batch_iterator.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace hrnn {

BatchIterator::BatchIterator(const Dataset& dataset, int batch_size, bool session_parallel,
                             uint64_t seed, UnitOrder order)
    : dataset_(dataset), session_parallel_(session_parallel), slots_(batch_size) {
  const int64_t units = session_parallel ? dataset.num_sessions() : dataset.num_users();
  order_.resize(units);
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (order == UnitOrder::kTime) {
    auto first_click_time = [&](int64_t unit) {
      const int64_t session = session_parallel ? unit : dataset.users[unit].session_begin;
      return session < dataset.num_sessions() && dataset.sessions[session].length() > 0
                 ? dataset.timestamps[dataset.sessions[session].begin]
                 : int64_t{0};
    };
    std::stable_sort(order_.begin(), order_.end(), [&](int64_t a, int64_t b) {
      return first_click_time(a) < first_click_time(b);
    });
  } else {
    // Fisher-Yates with raw 64-bit draws, so the order depends only on the seed.
    std::mt19937_64 rng(seed);
    for (int64_t i = units - 1; i > 0; --i) {
      std::swap(order_[i], order_[static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1))]);
    }
  }
  for (const SessionSpan& session : dataset.sessions) {
    pairs_per_epoch_ += std::max<int64_t>(0, session.length() - 1);
  }
  for (Slot& slot : slots_) slot.active = TakeNextUnit(slot);
}

bool BatchIterator::TakeNextUnit(Slot& slot) {
  while (next_unit_ < static_cast<int64_t>(order_.size())) {
    const int64_t unit = order_[next_unit_++];
    slot.unit = unit;
    if (session_parallel_) {
      slot.session = unit;
      slot.session_end = unit + 1;
    } else {
      slot.session = dataset_.users[unit].session_begin;
      slot.session_end = dataset_.users[unit].session_end;
    }
    // Skip sessions without a training pair.
    while (slot.session < slot.session_end && dataset_.sessions[slot.session].length() < 2) {
      ++slot.session;
    }
    if (slot.session < slot.session_end) {
      slot.position = 0;
      slot.new_user = true;
      slot.fold_item = -1;
      return true;
    }
  }
  return false;
}

bool BatchIterator::AdvanceSession(Slot& slot) {
  const SessionSpan& finished = dataset_.sessions[slot.session];
  const int32_t last_click = dataset_.items[finished.end - 1];
  for (++slot.session; slot.session < slot.session_end; ++slot.session) {
    if (dataset_.sessions[slot.session].length() >= 2) {
      slot.position = 0;
      slot.new_user = false;
      slot.fold_item = last_click;
      return true;
    }
  }
  return TakeNextUnit(slot);
}

bool BatchIterator::Next(StepRows& rows) {
  rows.n = 0;
  for (auto* v : {&rows.slot, &rows.input_item, &rows.target_item, &rows.fold_item}) v->clear();
  rows.session_start.clear();
  rows.new_user.clear();
  for (size_t s = 0; s < slots_.size(); ++s) {
    Slot& slot = slots_[s];
    if (!slot.active) continue;
    const SessionSpan& session = dataset_.sessions[slot.session];
    const int64_t input = session.begin + slot.position;
    rows.slot.push_back(static_cast<int32_t>(s));
    rows.input_item.push_back(dataset_.items[input]);
    rows.target_item.push_back(dataset_.items[input + 1]);
    rows.session_start.push_back(slot.position == 0);
    rows.new_user.push_back(slot.position == 0 && slot.new_user);
    rows.fold_item.push_back(slot.position == 0 ? slot.fold_item : -1);
    ++rows.n;
    ++pairs_done_;
    // Advance: the next input, or the next session once this pair used the last target.
    if (++slot.position >= session.length() - 1) slot.active = AdvanceSession(slot);
  }
  return rows.n > 0;
}

}  // namespace hrnn
