#include "core/train/batch_iterator.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace hrnn {
namespace {

// users[u][s] = the clicks of user u's session s, in time order.
using Clicks = std::vector<std::vector<std::vector<int32_t>>>;

Dataset MakeDataset(const Clicks& users) {
  Dataset d;
  int32_t max_item = -1;
  for (size_t u = 0; u < users.size(); ++u) {
    UserSpan user;
    user.id = "user-" + std::to_string(u);
    user.session_begin = d.num_sessions();
    for (const std::vector<int32_t>& session : users[u]) {
      SessionSpan span;
      span.begin = d.num_events();
      for (int32_t item : session) {
        d.items.push_back(item);
        d.timestamps.push_back(1000 + 60 * d.num_events());
        max_item = std::max(max_item, item);
      }
      span.end = d.num_events();
      d.sessions.push_back(span);
    }
    user.session_end = d.num_sessions();
    d.users.push_back(user);
  }
  for (int32_t i = 0; i <= max_item; ++i) {
    d.item_ids.push_back("item-" + std::to_string(i));
    d.item_counts.push_back(0);
  }
  for (int32_t item : d.items) ++d.item_counts[static_cast<size_t>(item)];
  return d;
}

// Users with sessions of the given lengths whose clicks are the event indices: item e is click e
// of the log, so every (input, target) pair names its position.
Dataset UniqueClicks(const std::vector<std::vector<int>>& session_lengths) {
  Clicks clicks;
  int32_t next = 0;
  for (const std::vector<int>& lengths : session_lengths) {
    clicks.emplace_back();
    for (int length : lengths) {
      clicks.back().emplace_back();
      for (int i = 0; i < length; ++i) clicks.back().back().push_back(next++);
    }
  }
  return MakeDataset(clicks);
}

// One delivered row: (slot, input, target, session_start, new_user, fold_item).
using Row = std::tuple<int32_t, int32_t, int32_t, int, int, int32_t>;

// Runs one epoch of a UniqueClicks dataset and checks every documented property of the schedule
// on the way; returns the rows delivered, step by step.
std::vector<std::vector<Row>> RunEpoch(const Dataset& d, int batch, bool session_parallel,
                                       uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << "batch=" << batch << " session_parallel=" << session_parallel
                                    << " seed=" << seed);
  // Where each event lives, and each session's unit (its user, or itself).
  std::vector<int64_t> session_of(d.items.size()), unit_of(d.sessions.size());
  for (int64_t u = 0; u < d.num_users(); ++u) {
    for (int64_t s = d.users[u].session_begin; s < d.users[u].session_end; ++s) {
      unit_of[s] = session_parallel ? s : u;
      for (int64_t e = d.sessions[s].begin; e < d.sessions[s].end; ++e) session_of[e] = s;
    }
  }
  int64_t expected_pairs = 0;
  for (const SessionSpan& s : d.sessions) expected_pairs += std::max<int64_t>(0, s.length() - 1);

  struct SlotState {
    int64_t session = -1;  // The slot's current session.
    int64_t last_input = -1;
    bool retired = false;
  };
  std::vector<SlotState> slots(static_cast<size_t>(batch));
  std::vector<int> delivered(d.items.size(), 0);
  std::set<int64_t> units_started;
  std::vector<std::vector<Row>> steps;
  BatchIterator it(d, batch, session_parallel, seed);
  EXPECT_EQ(it.PairsPerEpoch(), expected_pairs);
  StepRows rows;
  int64_t done = 0;
  while (it.Next(rows)) {
    const size_t n = static_cast<size_t>(rows.n);
    EXPECT_TRUE(rows.slot.size() == n && rows.input_item.size() == n &&
                rows.target_item.size() == n && rows.session_start.size() == n &&
                rows.new_user.size() == n && rows.fold_item.size() == n);
    EXPECT_LE(rows.n, batch);
    done += rows.n;
    EXPECT_EQ(it.PairsDone(), done);
    steps.emplace_back();
    for (size_t i = 0; i < n; ++i) {
      const int32_t slot = rows.slot[i], input = rows.input_item[i];
      steps.back().emplace_back(slot, input, rows.target_item[i], rows.session_start[i],
                                rows.new_user[i], rows.fold_item[i]);
      SCOPED_TRACE(::testing::Message()
                   << "step " << steps.size() - 1 << " slot " << slot << " input " << input);
      if (i > 0) {
        EXPECT_LT(rows.slot[i - 1], slot);  // One row per slot, in slot order.
      }
      EXPECT_TRUE(slot >= 0 && slot < batch);
      EXPECT_TRUE(input >= 0 && input < d.num_events());
      if (::testing::Test::HasFailure()) return steps;
      SlotState& state = slots[static_cast<size_t>(slot)];
      EXPECT_FALSE(state.retired) << "slot reappeared after an idle step";
      const int64_t session = session_of[input];
      const SessionSpan& span = d.sessions[session];
      EXPECT_EQ(rows.target_item[i], input + 1);
      EXPECT_LT(input + 1, span.end) << "target outside the session";
      ++delivered[input];
      const bool previous_finished =
          state.session < 0 || state.last_input == d.sessions[state.session].end - 2;
      if (rows.session_start[i]) {
        EXPECT_EQ(input, span.begin) << "session_start not at a session's first click";
        EXPECT_TRUE(previous_finished) << "slot left session " << state.session << " early";
        const int64_t unit = unit_of[session];
        if (rows.new_user[i]) {
          EXPECT_TRUE(units_started.insert(unit).second) << "unit " << unit << " started twice";
          EXPECT_EQ(rows.fold_item[i], -1);
          // The unit's first trainable session: everything before it is shorter than 2.
          const int64_t first = session_parallel ? session : d.users[unit].session_begin;
          for (int64_t s = first; s < session; ++s) EXPECT_LT(d.sessions[s].length(), 2);
        } else {
          EXPECT_FALSE(session_parallel) << "session-parallel rows always start a new unit";
          if (state.session < 0) {
            ADD_FAILURE() << "continued a user on a fresh slot";
            return steps;
          }
          EXPECT_EQ(unit, unit_of[state.session]) << "switched user without new_user";
          // The next trainable session of the user, in time order; skipped short sessions do
          // not count, so the fold item is the previous *trainable* session's last click.
          EXPECT_GT(session, state.session);
          for (int64_t s = state.session + 1; s < session; ++s) {
            EXPECT_LT(d.sessions[s].length(), 2);
          }
          EXPECT_LT(d.timestamps[d.sessions[state.session].end - 1], d.timestamps[input]);
          EXPECT_EQ(rows.fold_item[i], d.items[d.sessions[state.session].end - 1]);
        }
        state.session = session;
      } else {
        EXPECT_FALSE(rows.new_user[i]);
        EXPECT_EQ(rows.fold_item[i], -1);
        EXPECT_EQ(session, state.session);
        EXPECT_EQ(input, state.last_input + 1);
      }
      state.last_input = input;
    }
    // Slots without a row this step are done for the epoch.
    std::vector<bool> present(static_cast<size_t>(batch), false);
    for (int32_t s : rows.slot) present[static_cast<size_t>(s)] = true;
    for (int s = 0; s < batch; ++s) {
      if (!present[static_cast<size_t>(s)]) slots[static_cast<size_t>(s)].retired = true;
    }
    if (::testing::Test::HasFailure()) return steps;
  }
  EXPECT_EQ(rows.n, 0);
  EXPECT_EQ(it.PairsDone(), expected_pairs);
  EXPECT_FALSE(it.Next(rows)) << "Next after the end of the epoch";
  // Every pair exactly once; every unit with a trainable session started once.
  for (int64_t e = 0; e < d.num_events(); ++e) {
    const bool is_pair = e + 1 < d.sessions[session_of[e]].end;
    EXPECT_EQ(delivered[e], is_pair ? 1 : 0) << "event " << e;
  }
  std::set<int64_t> trainable_units;
  for (int64_t s = 0; s < d.num_sessions(); ++s) {
    if (d.sessions[s].length() >= 2) trainable_units.insert(unit_of[s]);
  }
  EXPECT_EQ(units_started, trainable_units);
  return steps;
}

// Users of mixed shapes: short sessions first, between and last; users made only of short
// sessions (1 and 2); a single long session.
Dataset MixedDataset() {
  return UniqueClicks({{3, 1, 2}, {1}, {1, 1}, {5}, {2, 2, 2}, {4, 1, 1, 3}, {1, 6}, {2}, {3, 1}});
}

Dataset RandomDataset(int users, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sessions(1, 4), length(1, 6);
  std::vector<std::vector<int>> lengths(static_cast<size_t>(users));
  for (std::vector<int>& user : lengths) {
    for (int s = sessions(rng); s > 0; --s) user.push_back(length(rng));
  }
  return UniqueClicks(lengths);
}

TEST(BatchIteratorTest, ScheduleInvariantsUserAndSessionParallel) {
  const Dataset mixed = MixedDataset(), random = RandomDataset(40, 3);
  for (const Dataset* d : {&mixed, &random}) {
    for (bool session_parallel : {false, true}) {
      for (int batch : {1, 2, 3, 7, 50}) {
        for (uint64_t seed : {1, 2, 3}) {
          SCOPED_TRACE(::testing::Message() << (d == &mixed ? "mixed" : "random"));
          RunEpoch(*d, batch, session_parallel, seed);
          if (HasFailure()) return;
        }
      }
    }
  }
}

TEST(BatchIteratorTest, SingleSlotWalksAUserInOrderAndFoldsOverSkippedSessions) {
  // One user: [10 11 12], [13] (too short: skipped), [14 15]. The session after the skipped one
  // is folded from the last click of the previous *trainable* session (12), not from 13: the
  // skipped session never reaches the model.
  const Dataset d = MakeDataset({{{10, 11, 12}, {13}, {14, 15}}});
  BatchIterator it(d, 1, /*session_parallel=*/false, 5);
  EXPECT_EQ(it.PairsPerEpoch(), 3);
  std::vector<Row> rows_seen;
  StepRows rows;
  while (it.Next(rows)) {
    ASSERT_EQ(rows.n, 1);
    rows_seen.emplace_back(rows.slot[0], rows.input_item[0], rows.target_item[0],
                           rows.session_start[0], rows.new_user[0], rows.fold_item[0]);
  }
  EXPECT_EQ(rows_seen, (std::vector<Row>{
                           {0, 10, 11, 1, 1, -1}, {0, 11, 12, 0, 0, -1}, {0, 14, 15, 1, 0, 12}}));
  EXPECT_EQ(it.PairsDone(), 3);
}

TEST(BatchIteratorTest, UsersOfShortSessionsOnlyAreSkipped) {
  // Users 0 and 2 have no pair; the single slot goes straight from user 1 to user 3 (in some
  // order) with new_user at both.
  const Dataset d = MakeDataset({{{1}, {2}}, {{3, 4}}, {{5}}, {{6, 7}}});
  BatchIterator it(d, 1, false, 9);
  EXPECT_EQ(it.PairsPerEpoch(), 2);
  StepRows rows;
  std::set<int32_t> inputs;
  while (it.Next(rows)) {
    ASSERT_EQ(rows.n, 1);
    EXPECT_EQ(rows.new_user[0], 1);
    EXPECT_EQ(rows.fold_item[0], -1);
    inputs.insert(rows.input_item[0]);
  }
  EXPECT_EQ(inputs, (std::set<int32_t>{3, 6}));
}

TEST(BatchIteratorTest, NothingToTrain) {
  for (const Dataset& d : {MakeDataset({}), MakeDataset({{{1}}, {{2}, {3}}})}) {
    for (bool session_parallel : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "users=" << d.num_users() << " session_parallel=" << session_parallel);
      BatchIterator it(d, 4, session_parallel, 1);
      EXPECT_EQ(it.PairsPerEpoch(), 0);
      StepRows rows;
      EXPECT_FALSE(it.Next(rows));
      EXPECT_EQ(rows.n, 0);
      EXPECT_EQ(it.PairsDone(), 0);
    }
  }
}

TEST(BatchIteratorTest, BatchLargerThanTheUsers) {
  const Dataset d = UniqueClicks({{3}, {2, 2}, {4}});
  BatchIterator it(d, 10, false, 1);
  StepRows rows;
  ASSERT_TRUE(it.Next(rows));
  EXPECT_EQ(rows.n, 3);
  EXPECT_EQ(rows.slot, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(rows.new_user, (std::vector<uint8_t>{1, 1, 1}));
  RunEpoch(d, 10, false, 1);
}

TEST(BatchIteratorTest, OrderDependsOnlyOnTheSeed) {
  const Dataset d = RandomDataset(30, 11);
  for (bool session_parallel : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "session_parallel=" << session_parallel);
    const auto a = RunEpoch(d, 4, session_parallel, 7);
    const auto b = RunEpoch(d, 4, session_parallel, 7);
    const auto c = RunEpoch(d, 4, session_parallel, 8);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
  }
}

TEST(BatchIteratorTest, SessionParallelTreatsEverySessionAsAUnit) {
  const Dataset d = MakeDataset({{{10, 11, 12}, {13}, {14, 15}}});
  BatchIterator it(d, 1, /*session_parallel=*/true, 5);
  EXPECT_EQ(it.PairsPerEpoch(), 3);
  StepRows rows;
  std::vector<std::pair<int32_t, int>> starts;  // (input, new_user) at session starts.
  while (it.Next(rows)) {
    ASSERT_EQ(rows.n, 1);
    EXPECT_EQ(rows.fold_item[0], -1);
    EXPECT_EQ(rows.new_user[0], rows.session_start[0]);
    if (rows.session_start[0]) starts.emplace_back(rows.input_item[0], rows.new_user[0]);
  }
  std::sort(starts.begin(), starts.end());
  EXPECT_EQ(starts, (std::vector<std::pair<int32_t, int>>{{10, 1}, {14, 1}}));
}

}  // namespace
}  // namespace hrnn

namespace hrnn {
namespace {

TEST(BatchIteratorTest, TimeOrderVisitsUnitsByTheirFirstClick) {
  // Three users whose first clicks are, in dataset order, late, early and in between.
  Dataset d = MakeDataset({{{1, 2}}, {{3, 4}}, {{5, 6}}});
  d.timestamps = {300, 301, 100, 101, 200, 201};
  for (bool session_parallel : {false, true}) {
    SCOPED_TRACE(session_parallel ? "session-parallel" : "user-parallel");
    for (uint64_t seed : {1, 2}) {
      BatchIterator it(d, 1, session_parallel, seed, UnitOrder::kTime);
      std::vector<int32_t> inputs;
      StepRows rows;
      while (it.Next(rows)) inputs.push_back(rows.input_item[0]);
      EXPECT_EQ(inputs, (std::vector<int32_t>{3, 5, 1})) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace hrnn
