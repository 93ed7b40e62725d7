#include "core/state/event_record.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

EventRecord FullRecord() {
  EventRecord record;
  record.seq = 0x0102030405060708ull;
  record.kind = EventRecord::Kind::kEvent;
  record.timestamp_ms = -1234567890123;
  record.user_id = "user-\xC3\xA9";
  record.session_id = "session 7";
  record.item_id = "item/42";
  record.event_type = "purchase";
  record.event_value = 19.99;
  return record;
}

std::string Encode(const EventRecord& record) {
  std::string bytes;
  EncodeEventRecord(record, &bytes);
  return bytes;
}

TEST(EventRecordTest, RoundTripsEveryField) {
  const EventRecord record = FullRecord();
  const std::string bytes = Encode(record);
  EXPECT_EQ(bytes.size(), EncodedEventRecordSize(record));
  ASSERT_OK_AND_ASSIGN(const EventRecord decoded, DecodeEventRecord(bytes));
  EXPECT_EQ(decoded, record);
}

TEST(EventRecordTest, RoundTripsDeleteUserWithoutValue) {
  EventRecord record;
  record.seq = 1;
  record.kind = EventRecord::Kind::kDeleteUser;
  record.user_id = "u";
  const std::string bytes = Encode(record);
  EXPECT_EQ(bytes.size(), EncodedEventRecordSize(record));
  ASSERT_OK_AND_ASSIGN(const EventRecord decoded, DecodeEventRecord(bytes));
  EXPECT_EQ(decoded, record);
  EXPECT_FALSE(decoded.event_value.has_value());
}

TEST(EventRecordTest, EncodingIsLittleEndianAsSpecified) {
  EventRecord record;
  record.seq = 0x0102030405060708ull;
  record.kind = EventRecord::Kind::kEvent;
  record.timestamp_ms = 0x1112131415161718;
  record.user_id = "ab";
  const std::string bytes = Encode(record);
  const std::string expected = std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) + "\x01" +
                               std::string("\x18\x17\x16\x15\x14\x13\x12\x11", 8) +
                               std::string("\0", 1) + std::string("\x02\0\0\0", 4) + "ab" +
                               std::string(12, '\0');
  EXPECT_EQ(bytes, expected);
}

TEST(EventRecordTest, EveryTruncationIsDataLoss) {
  const std::string bytes = Encode(FullRecord());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeEventRecord(bytes.substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss, "event record"))
        << "prefix of " << n << " bytes";
  }
}

TEST(EventRecordTest, GarbageIsDataLoss) {
  const std::string good = Encode(FullRecord());
  EXPECT_THAT(DecodeEventRecord(good + "x"), StatusIs(absl::StatusCode::kDataLoss, "after"));
  std::string bad_kind = good;
  bad_kind[8] = 9;
  EXPECT_THAT(DecodeEventRecord(bad_kind), StatusIs(absl::StatusCode::kDataLoss, "kind"));
  std::string bad_flags = good;
  bad_flags[17] = 0x05;
  EXPECT_THAT(DecodeEventRecord(bad_flags), StatusIs(absl::StatusCode::kDataLoss, "flags"));
  std::string availability_flag_on_event = good;
  availability_flag_on_event[17] = 0x03;
  EXPECT_THAT(DecodeEventRecord(availability_flag_on_event),
              StatusIs(absl::StatusCode::kDataLoss, "item_available"));
  std::string event_as_availability = good;  // An availability change cannot hold a user.
  event_as_availability[8] = 3;
  EXPECT_THAT(DecodeEventRecord(event_as_availability),
              StatusIs(absl::StatusCode::kDataLoss, "only item_id"));
  std::string zero_seq = good;
  for (int i = 0; i < 8; ++i) zero_seq[i] = 0;
  EXPECT_THAT(DecodeEventRecord(zero_seq), StatusIs(absl::StatusCode::kDataLoss, "seq 0"));
  // user_id's length (after seq, kind, timestamp, flags, value) set to 4 GiB - 1.
  std::string huge = good;
  for (int i = 26; i < 30; ++i) huge[i] = '\xFF';
  EXPECT_THAT(DecodeEventRecord(huge), StatusIs(absl::StatusCode::kDataLoss, "user_id"));
  EventRecord no_user = FullRecord();
  no_user.user_id.clear();
  EXPECT_THAT(DecodeEventRecord(Encode(no_user)),
              StatusIs(absl::StatusCode::kDataLoss, "user_id: empty"));
}

TEST(EventRecordTest, AvailabilityChangeRoundTripsAndHoldsOnlyItsFields) {
  EventRecord change;
  change.seq = 12;
  change.kind = EventRecord::Kind::kItemAvailability;
  change.timestamp_ms = 1'700'000'000'000;
  change.item_id = "sku-7";
  for (bool available : {false, true}) {
    change.item_available = available;
    ASSERT_OK(ValidateEventRecord(change));
    const std::string bytes = Encode(change);
    EXPECT_EQ(bytes.size(), EncodedEventRecordSize(change));
    EXPECT_EQ(bytes[17], available ? 0x02 : 0x00);
    ASSERT_OK_AND_ASSIGN(const EventRecord decoded, DecodeEventRecord(bytes));
    EXPECT_EQ(decoded, change);
  }
  EventRecord no_item = change;
  no_item.item_id.clear();
  EXPECT_THAT(ValidateEventRecord(no_item),
              StatusIs(absl::StatusCode::kInvalidArgument, "item_id: empty"));
  EXPECT_THAT(DecodeEventRecord(Encode(no_item)),
              StatusIs(absl::StatusCode::kDataLoss, "item_id: empty"));
  EventRecord with_user = change;
  with_user.user_id = "u";
  EXPECT_THAT(ValidateEventRecord(with_user),
              StatusIs(absl::StatusCode::kInvalidArgument, "only item_id"));
  EventRecord with_value = change;
  with_value.event_value = 1.0;
  EXPECT_THAT(ValidateEventRecord(with_value),
              StatusIs(absl::StatusCode::kInvalidArgument, "only item_id"));
  EventRecord flagged_event = FullRecord();
  flagged_event.item_available = true;
  EXPECT_THAT(ValidateEventRecord(flagged_event),
              StatusIs(absl::StatusCode::kInvalidArgument, "item_available"));
}

TEST(EventRecordTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(7);
  const std::string good = Encode(FullRecord());
  int decoded = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes = good;
    if (trial % 2 == 0) {
      bytes.resize(rng() % 80);
      for (char& c : bytes) c = static_cast<char>(rng());
    } else {
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      }
    }
    decoded += DecodeEventRecord(bytes).ok() ? 1 : 0;  // Must not crash or over-read (ASan).
  }
  SUCCEED() << decoded << " of the mutated inputs still decoded";
}

TEST(EventRecordTest, ValidateNamesTheField) {
  EXPECT_OK(ValidateEventRecord(FullRecord()));
  EventRecord record = FullRecord();
  record.user_id.clear();
  EXPECT_THAT(ValidateEventRecord(record), StatusIs(absl::StatusCode::kInvalidArgument, "user_id"));
  record = FullRecord();
  record.item_id.assign(kMaxEventFieldBytes + 1, 'x');
  EXPECT_THAT(ValidateEventRecord(record), StatusIs(absl::StatusCode::kInvalidArgument, "item_id"));
  record = FullRecord();
  record.kind = static_cast<EventRecord::Kind>(9);
  EXPECT_THAT(ValidateEventRecord(record), StatusIs(absl::StatusCode::kInvalidArgument, "kind"));
}

}  // namespace
}  // namespace hrnn
