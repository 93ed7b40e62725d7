#include "client/loadgen/workload.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn::client::loadgen {
namespace {

using ::hrnn::testing::StatusIs;

std::unique_ptr<WorkloadGenerator> Make(const WorkloadOptions& options,
                                        std::vector<int64_t> popularity = {10, 5, 1, 0}) {
  absl::StatusOr<std::unique_ptr<WorkloadGenerator>> generator =
      WorkloadGenerator::Create(options, popularity);
  EXPECT_TRUE(generator.ok()) << generator.status();
  return generator.ok() ? *std::move(generator) : nullptr;
}

TEST(WorkloadTest, ParsesKinds) {
  ASSERT_OK_AND_ASSIGN(const WorkloadKind kind, ParseWorkloadKind("mix"));
  EXPECT_EQ(kind, WorkloadKind::kMix);
  EXPECT_STREQ(WorkloadKindName(WorkloadKind::kEvents), "events");
  ASSERT_OK_AND_ASSIGN(const WorkloadKind similar, ParseWorkloadKind("similar"));
  EXPECT_EQ(similar, WorkloadKind::kSimilar);
  EXPECT_STREQ(WorkloadKindName(similar), "similar");
  EXPECT_THAT(ParseWorkloadKind("burst").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"burst\""));
}

TEST(WorkloadTest, SimilarAsksAboutPopularItemsWithoutAUser) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kSimilar;
  auto generator = Make(options, {90, 10});
  int first = 0;
  for (int i = 0; i < 1000; ++i) {
    const Action action = generator->Next();
    ASSERT_EQ(action.type, Action::Type::kSimilar);
    EXPECT_TRUE(action.user_id.empty());
    ASSERT_TRUE(action.item == 0 || action.item == 1);
    first += action.item == 0;
  }
  EXPECT_GT(first, 850);  // Item 0 has 90% of the popularity.
  EXPECT_LT(first, 950);
}

TEST(WorkloadTest, ValidatesOptions) {
  WorkloadOptions options;
  options.users = 0;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "users"));
  options = WorkloadOptions();
  options.session_length = 0.5;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "session_length"));
  EXPECT_THAT(WorkloadGenerator::Create(WorkloadOptions(), {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "items"));
}

TEST(WorkloadTest, EventsFormSessionsOfTheMeanLength) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kEvents;
  options.users = 1000;
  options.session_length = 4;
  auto generator = Make(options);
  std::map<std::string, int> clicks_per_session;
  std::map<std::string, std::string> user_of_session;
  std::vector<int> item_counts(4, 0);
  for (int i = 0; i < 40000; ++i) {
    const Action action = generator->Next();
    ASSERT_EQ(action.type, Action::Type::kEvent);
    ASSERT_EQ(action.user_id.rfind("lg-u", 0), 0u) << action.user_id;
    ASSERT_EQ(action.session_id.rfind(action.user_id + "-s", 0), 0u) << action.session_id;
    ++clicks_per_session[action.session_id];
    ++item_counts[action.item];
  }
  // The mean over sessions that have ended is close to 4 (sessions still open are shorter).
  EXPECT_NEAR(40000.0 / clicks_per_session.size(), 4.0, 0.4);
  EXPECT_EQ(generator->sessions_started(), static_cast<int64_t>(clicks_per_session.size()));
  // Items follow popularity 10:5:1:0.
  EXPECT_EQ(item_counts[3], 0);
  EXPECT_NEAR(item_counts[0] / 40000.0, 10.0 / 16, 0.02);
  EXPECT_NEAR(item_counts[2] / 40000.0, 1.0 / 16, 0.01);
}

TEST(WorkloadTest, ZipfUsersAreSkewed) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kEvents;
  options.users = 10000;
  options.zipf = 1.0;
  auto generator = Make(options);
  std::map<std::string, int> per_user;
  for (int i = 0; i < 20000; ++i) ++per_user[generator->Next().user_id];
  // The most popular user is about 1 / H(10000) ≈ 10.2% of the traffic.
  EXPECT_NEAR(per_user["lg-u0"] / 20000.0, 0.102, 0.015);
  EXPECT_GT(per_user["lg-u0"], per_user["lg-u9"]);
}

TEST(WorkloadTest, SequentialUsersTouchEveryUser) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kEvents;
  options.users = 50;
  options.users_sequential = true;
  options.user_prefix = "u";
  auto generator = Make(options);
  std::set<std::string> users;
  for (int i = 0; i < 50; ++i) {
    const Action action = generator->Next();
    EXPECT_EQ(action.user_id, "u" + std::to_string(i));
    users.insert(action.user_id);
  }
  EXPECT_EQ(users.size(), 50u);
}

TEST(WorkloadTest, MixHasTheRequestedRatio) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kMix;
  options.events_per_recommend = 10;
  auto generator = Make(options);
  int recommends = 0, events = 0, recommends_in_session = 0;
  for (int i = 0; i < 11000; ++i) {
    const Action action = generator->Next();
    if (action.type == Action::Type::kRecommend) {
      ++recommends;
      recommends_in_session += !action.session_id.empty();
      EXPECT_EQ(i % 11, 10) << i;
    } else {
      ++events;
      EXPECT_FALSE(action.session_id.empty());
    }
  }
  EXPECT_EQ(recommends, 1000);
  EXPECT_EQ(events, 10000);
  EXPECT_GT(recommends_in_session, 0);  // Popular users get recommendations in their sessions.
}

TEST(WorkloadTest, RecommendOnlyCarriesSessionIds) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kRecommend;
  auto generator = Make(options);
  for (int i = 0; i < 100; ++i) {
    const Action action = generator->Next();
    EXPECT_EQ(action.type, Action::Type::kRecommend);
    EXPECT_FALSE(action.session_id.empty());
    EXPECT_EQ(action.item, -1);
  }
}

TEST(WorkloadTest, SameSeedSameSequence) {
  WorkloadOptions options;
  options.kind = WorkloadKind::kMix;
  options.seed = 42;
  auto a = Make(options);
  auto b = Make(options);
  for (int i = 0; i < 200; ++i) {
    const Action x = a->Next();
    const Action y = b->Next();
    ASSERT_EQ(x.user_id, y.user_id);
    ASSERT_EQ(x.session_id, y.session_id);
    ASSERT_EQ(x.item, y.item);
  }
}

}  // namespace
}  // namespace hrnn::client::loadgen
