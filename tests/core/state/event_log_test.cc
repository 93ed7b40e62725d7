#include "core/state/event_log.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/testing/state_files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

namespace fs = std::filesystem;
using ::hrnn::testing::FreshTestDir;
using ::hrnn::testing::ReadBytes;
using ::hrnn::testing::ReadLogRecords;
using ::hrnn::testing::SegmentFiles;
using ::hrnn::testing::StatusIs;
using ::hrnn::testing::WriteBytes;

EventRecord MakeRecord(const std::string& user, int item, int64_t timestamp_ms = 1000) {
  EventRecord record;
  record.timestamp_ms = timestamp_ms;
  record.user_id = user;
  record.session_id = "s-" + user;
  record.item_id = absl::StrCat(item);
  record.event_type = item % 3 == 0 ? "purchase" : "click";
  if (item % 2 == 0) record.event_value = item * 0.5;
  return record;
}

std::vector<EventRecord> ReadAll(const EventLog& log, uint64_t from_seq = 1) {
  std::vector<EventRecord> records;
  EXPECT_OK(ReadLogRecords(log, from_seq, &records));
  return records;
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { options_.dir = FreshTestDir() / "log"; }

  std::unique_ptr<EventLog> OpenLog(RecoveryReport* report = nullptr) {
    absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(options_, report);
    EXPECT_OK(log);
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Appends `n` records (items first_item..) and waits for them; returns them with seqs.
  static std::vector<EventRecord> AppendN(EventLog& log, int n, int first_item = 0,
                                          int64_t timestamp_ms = 1000) {
    std::vector<EventRecord> records;
    for (int i = 0; i < n; ++i) {
      EventRecord record = MakeRecord("u" + std::to_string(i % 5), first_item + i, timestamp_ms);
      EXPECT_NE(log.Append(&record), 0u);
      records.push_back(record);
    }
    EXPECT_OK(log.WaitDurable(records.back().seq));
    return records;
  }

  EventLogOptions options_;
};

TEST(EventLogOptionsTest, ValidateNamesTheSetting) {
  EventLogOptions options;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "dir"));
  options.dir = "/tmp/x";
  EXPECT_OK(options.Validate());
  options.fsync_interval_ms = 0;
  EXPECT_THAT(options.Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "fsync_interval_ms"));
  options.fsync_interval_ms = 100;
  options.segment_bytes = 0;
  EXPECT_THAT(options.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, "segment_bytes"));
}

TEST_F(EventLogTest, AppendWaitAndReadRoundTrip) {
  RecoveryReport report;
  auto log = OpenLog(&report);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(report.created);
  EXPECT_EQ(log->next_seq(), 1u);
  EXPECT_OK(log->WaitDurable(0));
  const std::vector<EventRecord> written = AppendN(*log, 10);
  EXPECT_EQ(written.front().seq, 1u);
  EXPECT_EQ(written.back().seq, 10u);
  EXPECT_EQ(log->durable_seq(), 10u);
  EXPECT_EQ(log->synced_seq(), 10u);
  EXPECT_EQ(ReadAll(*log), written);
  const std::vector<EventRecord> tail = ReadAll(*log, 7);
  EXPECT_EQ(tail, std::vector<EventRecord>(written.begin() + 6, written.end()));
  int visited = 0;
  EXPECT_OK(log->Read(1, [&](const EventRecord&) { return ++visited < 3; }));
  EXPECT_EQ(visited, 3);
}

TEST_F(EventLogTest, ReadSeesOnlyWrittenRecords) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EventRecord record = MakeRecord("u", 1);
  const uint64_t seq = log->Append(&record);
  EXPECT_EQ(seq, 1u);
  EXPECT_EQ(record.seq, 1u);
  EXPECT_TRUE(ReadAll(*log).empty());  // Buffered, not written (kEveryBatch has no thread).
  EXPECT_EQ(log->durable_seq(), 0u);
  ASSERT_OK(log->WaitDurable(seq));
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST_F(EventLogTest, WaitDurableRefusesUnappendedSeqAndAppendRefusesBadRecords) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_THAT(log->WaitDurable(1), StatusIs(absl::StatusCode::kInvalidArgument, "not appended"));
  EventRecord bad = MakeRecord("", 1);
  EXPECT_EQ(log->Append(&bad), 0u);
  EXPECT_EQ(log->next_seq(), 1u);
}

TEST_F(EventLogTest, RollsSegmentsAndReadsAcrossThem) {
  options_.segment_bytes = 600;
  std::vector<EventRecord> written;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int batch = 0; batch < 15; ++batch) {
      const auto records = AppendN(*log, 7, batch * 7);
      written.insert(written.end(), records.begin(), records.end());
    }
    EXPECT_EQ(ReadAll(*log), written);
    EXPECT_EQ(ReadAll(*log, 50), std::vector<EventRecord>(written.begin() + 49, written.end()));
  }
  const std::vector<fs::path> files = SegmentFiles(options_.dir);
  ASSERT_GT(files.size(), 3u);
  EXPECT_EQ(files.front().filename(), "events-00000000000000000001.log");
  for (const fs::path& file : files) {
    // Each sealed segment reached segment_bytes at a record boundary (a batch end).
    if (file != files.back()) {
      EXPECT_GE(fs::file_size(file), 600u) << file;
    }
  }
  RecoveryReport report;
  auto log = OpenLog(&report);
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(report.tail_cut) << report.ToString();
  EXPECT_EQ(report.segments, static_cast<int>(files.size()));
  EXPECT_EQ(report.records, written.size());
  EXPECT_EQ(report.first_seq, 1u);
  EXPECT_EQ(report.next_seq, written.size() + 1);
  EXPECT_EQ(ReadAll(*log), written);
}

TEST_F(EventLogTest, ReopenContinuesSeq) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendN(*log, 4);
    EventRecord unwaited = MakeRecord("u", 99);
    log->Append(&unwaited);  // The destructor flushes it.
  }
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_seq(), 6u);
  EXPECT_EQ(log->durable_seq(), 5u);
  EventRecord record = MakeRecord("u", 100);
  EXPECT_EQ(log->Append(&record), 6u);
  ASSERT_OK(log->WaitDurable(6));
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[4].item_id, "99");
  EXPECT_EQ(records[5], record);
}

TEST_F(EventLogTest, TruncatedTailAtEveryByteOffsetIsCut) {
  std::vector<EventRecord> written;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    written = AppendN(*log, 5);
  }
  const fs::path file = SegmentFiles(options_.dir).at(0);
  const std::string original = ReadBytes(file);
  const size_t last_size = kEventLogFrameBytes + EncodedEventRecordSize(written.back());
  const size_t last_start = original.size() - last_size;
  for (size_t cut = last_start; cut < original.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("file cut to ", cut, " bytes"));
    WriteBytes(file, original.substr(0, cut));
    RecoveryReport report;
    auto log = OpenLog(&report);
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(report.tail_cut, cut > last_start) << report.ToString();
    if (cut > last_start) {
      EXPECT_EQ(report.cut_file, file.string());
      EXPECT_EQ(report.cut_offset, static_cast<int64_t>(last_start));
      EXPECT_EQ(report.cut_bytes, static_cast<int64_t>(cut - last_start));
      EXPECT_NE(report.cut_reason.find("torn"), std::string::npos) << report.cut_reason;
    }
    EXPECT_EQ(fs::file_size(file), last_start);
    EXPECT_EQ(log->next_seq(), 5u);
    EXPECT_EQ(ReadAll(*log), std::vector<EventRecord>(written.begin(), written.end() - 1));
  }
  // The log goes on from the cut.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  const auto more = AppendN(*log, 2, 50);
  EXPECT_EQ(more.front().seq, 5u);
  EXPECT_EQ(ReadAll(*log).size(), 6u);
}

TEST_F(EventLogTest, FlippedByteInLastRecordIsCut) {
  std::vector<EventRecord> written;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    written = AppendN(*log, 5);
  }
  const fs::path file = SegmentFiles(options_.dir).at(0);
  const std::string original = ReadBytes(file);
  const size_t last_start =
      original.size() - kEventLogFrameBytes - EncodedEventRecordSize(written.back());
  for (size_t at = last_start; at < original.size(); ++at) {
    SCOPED_TRACE(absl::StrCat("byte ", at, " flipped"));
    std::string bytes = original;
    bytes[at] ^= 0x40;
    WriteBytes(file, bytes);
    RecoveryReport report;
    auto log = OpenLog(&report);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(report.tail_cut);
    EXPECT_EQ(report.cut_offset, static_cast<int64_t>(last_start));
    EXPECT_EQ(report.cut_bytes, static_cast<int64_t>(original.size() - last_start));
    if (at >= last_start + kEventLogFrameBytes) {
      EXPECT_NE(report.cut_reason.find("CRC-32C mismatch"), std::string::npos) << report.cut_reason;
    }
    EXPECT_EQ(ReadAll(*log).size(), 4u);
  }
}

TEST_F(EventLogTest, CorruptionInSealedSegmentIsDataLoss) {
  options_.segment_bytes = 400;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int batch = 0; batch < 10; ++batch) AppendN(*log, 4, batch * 4);
  }
  const std::vector<fs::path> files = SegmentFiles(options_.dir);
  ASSERT_GE(files.size(), 3u);
  const std::string original = ReadBytes(files[1]);
  std::string bytes = original;
  bytes[kEventLogHeaderBytes + 30] ^= 0x01;  // Inside the first record's payload.
  WriteBytes(files[1], bytes);
  EXPECT_THAT(EventLog::Open(options_, nullptr),
              StatusIs(absl::StatusCode::kDataLoss,
                       absl::StrCat(files[1].string(), " at offset ", kEventLogHeaderBytes)));
  // A bad header is DataLoss too.
  bytes = original;
  bytes[0] = 'X';
  WriteBytes(files[1], bytes);
  EXPECT_THAT(EventLog::Open(options_, nullptr), StatusIs(absl::StatusCode::kDataLoss, "magic"));
  // So is a truncated sealed segment (a gap in seq).
  WriteBytes(files[1], original.substr(0, original.size() - 3));
  EXPECT_THAT(EventLog::Open(options_, nullptr), StatusIs(absl::StatusCode::kDataLoss, "torn"));
  // And a missing one.
  fs::remove(files[1]);
  EXPECT_THAT(EventLog::Open(options_, nullptr), StatusIs(absl::StatusCode::kDataLoss, "missing"));
}

TEST_F(EventLogTest, TornHeaderOfNewestSegmentIsRewritten) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    AppendN(*log, 3);
  }
  // A crash right after the next segment was created.
  const fs::path torn = fs::path(options_.dir) / "events-00000000000000000004.log";
  WriteBytes(torn, std::string("HRNNL", 5));
  RecoveryReport report;
  {
    auto log = OpenLog(&report);
    ASSERT_NE(log, nullptr);
    EXPECT_TRUE(report.header_rewritten) << report.ToString();
    EXPECT_EQ(report.segments, 2);
    EXPECT_EQ(log->next_seq(), 4u);
    AppendN(*log, 2);
  }
  auto log = OpenLog(&report);
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(report.header_rewritten);
  EXPECT_EQ(ReadAll(*log).size(), 5u);
}

TEST_F(EventLogTest, OtherFilesAreIgnored) {
  fs::create_directories(options_.dir);
  WriteBytes(fs::path(options_.dir) / "events-1.log", "junk");
  WriteBytes(fs::path(options_.dir) / "notes.txt", "junk");
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(AppendN(*log, 1).front().seq, 1u);
}

class EventLogPolicyTest : public EventLogTest,
                           public ::testing::WithParamInterface<FsyncPolicy> {};

TEST_P(EventLogPolicyTest, ConcurrentAppendersKeepTheirOrder) {
  options_.fsync = GetParam();
  options_.fsync_interval_ms = 5;
  options_.segment_bytes = 16 << 10;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 400;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          EventRecord record = MakeRecord(absl::StrCat("t", t), i);
          const uint64_t seq = log->Append(&record);
          // Wait on every other record, so that some batches carry unwaited ones.
          if (seq == 0 || (i % 2 == 1 && !log->WaitDurable(seq).ok())) ++failures;
          if (i % 2 == 1 && log->durable_seq() < seq) ++failures;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    ASSERT_OK(log->Flush());
    EXPECT_EQ(log->synced_seq(), uint64_t{kThreads * kPerThread});
  }
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  const std::vector<EventRecord> records = ReadAll(*log);
  ASSERT_EQ(records.size(), size_t{kThreads * kPerThread});
  std::vector<int> next_item(kThreads, 0);
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].seq, i + 1);
    const int thread = records[i].user_id[1] - '0';
    ASSERT_EQ(records[i].item_id, absl::StrCat(next_item[thread]++)) << "thread " << thread;
  }
  EXPECT_GT(SegmentFiles(options_.dir).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Policies, EventLogPolicyTest,
                         ::testing::Values(FsyncPolicy::kEveryBatch, FsyncPolicy::kInterval,
                                           FsyncPolicy::kNone),
                         [](const ::testing::TestParamInfo<FsyncPolicy>& info) {
                           switch (info.param) {
                             case FsyncPolicy::kEveryBatch:
                               return std::string("EveryBatch");
                             case FsyncPolicy::kInterval:
                               return std::string("Interval");
                             case FsyncPolicy::kNone:
                               return std::string("None");
                           }
                           return std::string("Unknown");
                         });

class EventLogWithoutWaitersTest : public EventLogTest,
                                   public ::testing::WithParamInterface<FsyncPolicy> {};

// Under every policy a record nobody waits for (a served recommendation) is written and, except
// under kNone, synced by the background thread.
TEST_P(EventLogWithoutWaitersTest, BackgroundThreadWritesAndSyncs) {
  options_.fsync = GetParam();
  options_.fsync_interval_ms = 10;
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EventRecord record = MakeRecord("u", 1);
  const uint64_t seq = log->Append(&record);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const bool syncs = GetParam() != FsyncPolicy::kNone;
  while ((syncs ? log->synced_seq() : log->durable_seq()) < seq &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(syncs ? log->synced_seq() : log->durable_seq(), seq);
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Policies, EventLogWithoutWaitersTest,
                         ::testing::Values(FsyncPolicy::kEveryBatch, FsyncPolicy::kInterval,
                                           FsyncPolicy::kNone));

TEST_F(EventLogTest, ReadWhileAppending) {
  options_.segment_bytes = 2048;
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) {
      EventRecord record = MakeRecord("w", i);
      log->WaitDurable(log->Append(&record)).IgnoreError();
    }
    done = true;
  });
  int reads = 0;
  while (!done || reads == 0) {
    uint64_t expected = 1;
    ASSERT_OK(log->Read(1, [&](const EventRecord& record) {
      EXPECT_EQ(record.seq, expected++);
      return true;
    }));
    ++reads;
  }
  writer.join();
  EXPECT_EQ(ReadAll(*log).size(), 300u);
}

TEST_F(EventLogTest, RetireSegmentsKeepsUncoveredAndRecentOnes) {
  options_.segment_bytes = 300;
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  // Batch b holds 3 records stamped b * 1000.
  for (int batch = 0; batch < 12; ++batch) AppendN(*log, 3, batch * 3, batch * 1000);
  const size_t segments = SegmentFiles(options_.dir).size();
  ASSERT_GE(segments, 4u);
  EXPECT_EQ(*log->RetireSegments(/*covered_seq=*/1, INT64_MAX), 0);
  EXPECT_EQ(*log->RetireSegments(UINT64_MAX, /*min_keep_timestamp_ms=*/0), 0);
  // Covered up to seq 10 (records 1..9 reflected), retention from t=5000.
  ASSERT_OK_AND_ASSIGN(const int retired, log->RetireSegments(10, 5000));
  EXPECT_GT(retired, 0);
  const uint64_t first = log->first_seq();
  EXPECT_GT(first, 1u);
  EXPECT_LE(first, 10u);
  EXPECT_EQ(SegmentFiles(options_.dir).size(), segments - retired);
  std::vector<EventRecord> left = ReadAll(*log);
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front().seq, first);
  EXPECT_EQ(left.back().seq, 36u);
  // Everything: never the newest segment.
  ASSERT_OK_AND_ASSIGN(const int more, log->RetireSegments(UINT64_MAX, INT64_MAX));
  EXPECT_EQ(SegmentFiles(options_.dir).size(), 1u);
  EXPECT_EQ(static_cast<size_t>(retired + more), segments - 1);
  log.reset();
  RecoveryReport report;
  log = OpenLog(&report);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(report.first_seq, log->first_seq());
  EXPECT_EQ(log->next_seq(), 37u);
}

TEST_F(EventLogTest, IoErrorIsStickyAndReturnedToWaiters) {
  // A real write error, even as root: a file size limit (EFBIG), with SIGXFSZ ignored.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AppendN(*log, 2);
  const uint64_t size = fs::file_size(SegmentFiles(options_.dir).at(0));
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct sigaction ignore = {};
  struct sigaction old_action = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &old_action), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = size + 20;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    EventRecord record = MakeRecord("u", 10 + i);
    seqs.push_back(log->Append(&record));
  }
  const absl::Status first = log->WaitDurable(seqs.back());
  const absl::Status second = log->WaitDurable(seqs.front());
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ASSERT_EQ(sigaction(SIGXFSZ, &old_action, nullptr), 0);
  EXPECT_FALSE(first.ok());
  EXPECT_NE(first.message().find("write"), std::string::npos) << first;
  EXPECT_EQ(second, first);
  EXPECT_EQ(log->status(), first);
  EventRecord refused = MakeRecord("u", 99);
  EXPECT_EQ(log->Append(&refused), 0u);
  EXPECT_OK(log->WaitDurable(2));  // Done before the failure.
  log.reset();
  // The partial record is cut on reopen; the first two survive.
  RecoveryReport report;
  log = OpenLog(&report);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(report.tail_cut) << report.ToString();
  EXPECT_EQ(ReadAll(*log).size(), 2u);
  EXPECT_EQ(log->next_seq(), 3u);
}

TEST_F(EventLogTest, UnwritableDirectoryIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  const fs::path dir = options_.dir;
  fs::create_directories(dir);
  ASSERT_EQ(chmod(dir.c_str(), 0500), 0);
  EXPECT_FALSE(EventLog::Open(options_, nullptr).ok());
  chmod(dir.c_str(), 0700);
}

// Prints (does not assert) the throughput of threads appending and waiting on each event under
// kEveryBatch, on whatever disk holds the test directory; 1 thread is the in-run baseline (one
// fdatasync per event), 4 threads show what group commit shares.
TEST_F(EventLogTest, PerfFourThreadsEveryBatch) {
  const std::string base = options_.dir;
  for (const int threads_count : {1, 4}) {
    options_.dir = absl::StrCat(base, "-", threads_count);
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    const auto duration = std::chrono::milliseconds(1500);
    std::atomic<int64_t> events{0};
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads_count; ++t) {
      threads.emplace_back([&, t] {
        int i = 0;
        while (std::chrono::steady_clock::now() - start < duration) {
          EventRecord record = MakeRecord(absl::StrCat("user-", t, "-", i % 1000), i);
          if (!log->WaitDurable(log->Append(&record)).ok()) return;
          ++i;
        }
        events += i;
      });
    }
    for (std::thread& thread : threads) thread.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "[ PERF     ] kEveryBatch, %d thread(s), append+WaitDurable each: %lld events in %.2f s "
        "= %.0f events/s\n",
        threads_count, static_cast<long long>(events.load()), seconds, events.load() / seconds);
    EXPECT_GT(events.load(), 0);
  }
  // Append alone (the part callers do under their own locks): no I/O.
  options_.dir = base + "-append";
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  constexpr int kAppends = 200000;
  std::vector<EventRecord> records;
  for (int i = 0; i < kAppends; ++i) records.push_back(MakeRecord("user-42", i));
  const auto start = std::chrono::steady_clock::now();
  for (EventRecord& record : records) log->Append(&record);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ PERF     ] Append alone: %.0f ns per record\n", seconds * 1e9 / kAppends);
  ASSERT_OK(log->Flush());
}

}  // namespace
}  // namespace hrnn
