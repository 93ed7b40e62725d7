#include "client/loadgen/item_catalog.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn::client::loadgen {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(ItemCatalogTest, ParsesTheCoreFormat) {
  ASSERT_OK_AND_ASSIGN(
      const ItemCatalog catalog,
      ParseItemCatalog("index\titem_id\tpopularity\n0\tshoe\t12\n1\tsock 2\t0\n2\that\t3\n\n"));
  EXPECT_THAT(catalog.ids, ElementsAre("shoe", "sock 2", "hat"));
  EXPECT_THAT(catalog.popularity, ElementsAre(12, 0, 3));
}

TEST(ItemCatalogTest, HeaderIsOptionalAndCrlfTolerated) {
  ASSERT_OK_AND_ASSIGN(const ItemCatalog catalog, ParseItemCatalog("0\ta\t1\r\n1\tb\t2"));
  EXPECT_THAT(catalog.ids, ElementsAre("a", "b"));
  EXPECT_THAT(catalog.popularity, ElementsAre(1, 2));
}

TEST(ItemCatalogTest, RejectsMalformedLinesNamingThem) {
  EXPECT_THAT(ParseItemCatalog("index\titem_id\tpopularity\n0\ta\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: expected 3"));
  EXPECT_THAT(ParseItemCatalog("0\t\t1\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 1: empty item id"));
  EXPECT_THAT(ParseItemCatalog("0\ta\t1\n1\tb\t-3\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "line 2: popularity \"-3\""));
  EXPECT_THAT(ParseItemCatalog("index\titem_id\tpopularity\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "no items"));
}

TEST(ItemCatalogTest, ModelRootResolvesToTheHighestVersionWithItems) {
  const fs::path root = ::hrnn::testing::FreshTestDir() / "models" / "demo";
  WriteFile(root / "2" / "items.tsv", "index\titem_id\tpopularity\n0\told\t1\n");
  WriteFile(root / "10" / "items.tsv", "index\titem_id\tpopularity\n0\tnew\t5\n");
  WriteFile(root / "11.tmp-1-2" / "items.tsv", "0\ttemp\t1\n");  // Not an integer name.
  fs::create_directories(root / "12");                           // No items.tsv.
  fs::create_directories(root / "checkpoints");
  ASSERT_OK_AND_ASSIGN(const std::string dir, ResolveModelVersionDir(root.string()));
  EXPECT_EQ(fs::path(dir).filename(), "10");
  ASSERT_OK_AND_ASSIGN(const ItemCatalog catalog, ReadItemCatalog(root.string()));
  EXPECT_THAT(catalog.ids, ElementsAre("new"));
  // A version folder is read as it is.
  ASSERT_OK_AND_ASSIGN(const ItemCatalog old, ReadItemCatalog((root / "2").string()));
  EXPECT_THAT(old.ids, ElementsAre("old"));
}

TEST(ItemCatalogTest, MissingDirectoryOrItemsIsNotFound) {
  const fs::path dir = ::hrnn::testing::FreshTestDir();
  EXPECT_THAT(ReadItemCatalog((dir / "absent").string()).status(),
              StatusIs(absl::StatusCode::kNotFound, "no items.tsv"));
  EXPECT_THAT(ReadItemCatalog(dir.string()).status(),
              StatusIs(absl::StatusCode::kNotFound, "no items.tsv"));
}

TEST(ItemCatalogTest, ParseErrorsNameTheFile) {
  const fs::path dir = ::hrnn::testing::FreshTestDir();
  WriteFile(dir / "items.tsv", "0\tonly-two-fields\n");
  EXPECT_THAT(ReadItemCatalog(dir.string()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "items.tsv: items.tsv line 1"));
}

}  // namespace
}  // namespace hrnn::client::loadgen
