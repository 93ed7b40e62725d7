// Builds small Datasets by hand for tests: users with their sessions of item indices. Items are
// "item-0".."item-{N-1}" with their click counts; event e gets timestamp 1000 + e, so later
// sessions are more recent. Stateless.
#ifndef HRNN_TESTS_TESTING_DATASET_BUILDER_H_
#define HRNN_TESTS_TESTING_DATASET_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace hrnn::testing {

struct UserClicks {
  std::string id;
  std::vector<std::vector<int32_t>> sessions;  // Each session's items, in time order.
};

inline Dataset MakeDataset(int num_items, const std::vector<UserClicks>& users) {
  Dataset d;
  for (int i = 0; i < num_items; ++i) {
    d.item_ids.push_back("item-" + std::to_string(i));
    d.item_counts.push_back(0);
  }
  for (const UserClicks& u : users) {
    UserSpan span{u.id, d.num_sessions(), 0};
    for (const std::vector<int32_t>& session : u.sessions) {
      SessionSpan s{d.num_events(), 0};
      for (int32_t item : session) {
        d.items.push_back(item);
        d.timestamps.push_back(1000 + d.num_events());
        ++d.item_counts[item];
      }
      s.end = d.num_events();
      d.sessions.push_back(s);
    }
    span.session_end = d.num_sessions();
    d.users.push_back(span);
  }
  return d;
}

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_TESTING_DATASET_BUILDER_H_
