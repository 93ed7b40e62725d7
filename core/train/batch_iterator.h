// BatchIterator: the mini-batch schedule of HRNN training (DESIGN §2). Each of B slots walks one
// user's sessions in time order, one click pair (input → next click) per step; when a session
// ends the slot's next row starts a new session of the same user (after folding the finished
// one into the user state), and when a user is exhausted the slot takes the next user with zero
// state. In session-parallel mode (GRU4Rec, session-only models) every session is its own
// "user". Units are visited in a seeded random order per epoch, or by the time of their first
// click (as the official GRU4Rec orders sessions). Sessions shorter than 2 clicks hold no
// training pair and are skipped. Not thread-safe.
#ifndef HRNN_CORE_TRAIN_BATCH_ITERATOR_H_
#define HRNN_CORE_TRAIN_BATCH_ITERATOR_H_

#include <cstdint>
#include <vector>

#include "core/data/dataset.h"

namespace hrnn {

// One training step: n rows, one per active slot.
struct StepRows {
  int64_t n = 0;
  std::vector<int32_t> slot;         // Which slot each row belongs to (slot state lives there).
  std::vector<int32_t> input_item;   // The click fed to the session GRU.
  std::vector<int32_t> target_item;  // The next click: the positive of the row.
  // This row's input is the first click of a session: the slot's session state must be
  // (re)initialised before the step.
  std::vector<uint8_t> session_start;
  // This row starts the slot's first session of a new user: reset user and session state to 0.
  std::vector<uint8_t> new_user;
  // For session_start rows that continue a user: the last click of the user's previous session,
  // to be stepped into the session state before the session is folded into the user state;
  // -1 otherwise.
  std::vector<int32_t> fold_item;
};

// The order in which users (sessions, in session-parallel mode) take the slots.
enum class UnitOrder {
  kRandom,  // A seeded shuffle per epoch.
  kTime,    // By the time of the unit's first click (ties by dataset order); the same every epoch.
};

class BatchIterator {
 public:
  // `dataset` must outlive the iterator. `session_parallel` selects GRU4Rec mode.
  BatchIterator(const Dataset& dataset, int batch_size, bool session_parallel, uint64_t seed,
                UnitOrder order = UnitOrder::kRandom);

  // Fills the next step's rows; returns false when every slot is exhausted (end of epoch).
  bool Next(StepRows& rows);
  // Training pairs (clicks that have a next click in their session) in one epoch.
  int64_t PairsPerEpoch() const { return pairs_per_epoch_; }
  // Pairs delivered so far this epoch.
  int64_t PairsDone() const { return pairs_done_; }

 private:
  struct Slot {
    bool active = false;
    int64_t unit = -1;         // Index into order_ (a user, or a session in session-parallel mode).
    int64_t session = -1;      // Index into dataset_.sessions.
    int64_t session_end = -1;  // One past the unit's last session.
    int64_t position = 0;      // Input click offset inside the session.
    bool new_user = false;
    int32_t fold_item = -1;
  };
  // Moves `slot` to the unit's next trainable session, or to the next unit; false if none left.
  bool AdvanceSession(Slot& slot);
  bool TakeNextUnit(Slot& slot);

  const Dataset& dataset_;
  const bool session_parallel_;
  std::vector<Slot> slots_;
  std::vector<int64_t> order_;  // Units in visiting order.
  int64_t next_unit_ = 0;
  int64_t pairs_per_epoch_ = 0;
  int64_t pairs_done_ = 0;
};

}  // namespace hrnn

#endif  // HRNN_CORE_TRAIN_BATCH_ITERATOR_H_
