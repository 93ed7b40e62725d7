#include "core/data/dataset_writer.h"

#include "core/data/interaction_reader.h"
#include "core/data/sessionizer.h"
#include "gtest/gtest.h"
#include "tests/testing/dataset_builder.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

TEST(DatasetWriterTest, WritesCsvThatReadsBackToTheSameDataset) {
  Dataset d = testing::MakeDataset(3, {{"a,1", {{0, 1}, {2, 2, 0}}}, {"b", {{1, 0}}}});
  d.item_ids[2] = "x\"y";
  d.timestamps = {100, 100, 5000, 5000, 5000, 7, 9};  // Ties keep file order.
  const std::string csv = DatasetToCsv(d);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "USER_ID,ITEM_ID,TIMESTAMP,SESSION_ID");
  EXPECT_NE(csv.find("\"a,1\",item-0,100,\"a,1:0\"\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"x\"\"y\""), std::string::npos) << csv;

  const std::string path = (testing::FreshTestDir() / "d.csv").string();
  ASSERT_OK(WriteDatasetCsv(d, path));
  ASSERT_OK_AND_ASSIGN(RawLog log, ReadInteractions({path}, ReaderOptions()));
  DataOptions options;
  options.min_item_support = 1;
  ASSERT_OK_AND_ASSIGN(PreparedData back, PrepareDataset(std::move(log), options));
  ASSERT_EQ(back.dataset.num_sessions(), 3);
  ASSERT_EQ(back.dataset.num_events(), d.num_events());
  for (int64_t e = 0; e < d.num_events(); ++e) {
    EXPECT_EQ(back.dataset.item_ids[back.dataset.items[e]], d.item_ids[d.items[e]]) << e;
    EXPECT_EQ(back.dataset.timestamps[e], d.timestamps[e]) << e;
  }
  EXPECT_EQ(back.dataset.users[0].id, "a,1");
  EXPECT_FALSE(WriteDatasetCsv(d, "/nonexistent-dir/x.csv").ok());
}

}  // namespace
}  // namespace hrnn
