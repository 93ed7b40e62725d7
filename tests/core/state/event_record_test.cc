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
  bad_flags[17] = 0x11;  // Bit 4 has no meaning.
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

EventRecord ServedRecord() {
  EventRecord served;
  served.seq = 99;
  served.kind = EventRecord::Kind::kRecommendation;
  served.timestamp_ms = 1'700'000'000'123;
  served.user_id = "u1";
  served.session_id = "s1";
  served.recommendation_id = "0123456789abcdef0123456789abcdef:exp:B";
  served.recipe = "sknn";
  served.model_version = "v7";
  served.experiment = "exp";
  served.arm = "B";
  served.item_ids = {"i3", "i1", "i2"};
  return served;
}

TEST(EventRecordTest, ServedRecommendationRoundTrips) {
  for (EventRecord served : {ServedRecord(), EventRecord{}}) {
    if (served.seq == 0) {  // GetSimilarItems with no user, an empty answer, no experiment.
      served.seq = 1;
      served.kind = EventRecord::Kind::kRecommendation;
      served.item_id = "asked-about";
      served.recommendation_id = "r";
    }
    ASSERT_OK(ValidateEventRecord(served));
    const std::string bytes = Encode(served);
    EXPECT_EQ(bytes.size(), EncodedEventRecordSize(served));
    ASSERT_OK_AND_ASSIGN(const EventRecord decoded, DecodeEventRecord(bytes));
    EXPECT_EQ(decoded, served);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_THAT(DecodeEventRecord(bytes.substr(0, n)),
                  StatusIs(absl::StatusCode::kDataLoss, "event record"));
    }
  }
}

TEST(EventRecordTest, EventWithRecommendationIdAndImpressionsRoundTrips) {
  EventRecord event = FullRecord();
  event.recommendation_id = "rec-1";
  event.item_ids = {"a", "b"};
  const std::string bytes = Encode(event);
  EXPECT_EQ(bytes.size(), EncodedEventRecordSize(event));
  EXPECT_EQ(bytes[17], 0x01 | 0x04 | 0x08);
  ASSERT_OK_AND_ASSIGN(EventRecord decoded, DecodeEventRecord(bytes));
  EXPECT_EQ(decoded, event);
  // Each optional part alone.
  event.item_ids.clear();
  ASSERT_OK_AND_ASSIGN(decoded, DecodeEventRecord(Encode(event)));
  EXPECT_EQ(decoded, event);
  event.recommendation_id.clear();
  event.item_ids = {"only-impressions"};
  ASSERT_OK_AND_ASSIGN(decoded, DecodeEventRecord(Encode(event)));
  EXPECT_EQ(decoded, event);
  // Without either, the bytes are those of the original layout (old logs decode unchanged).
  EXPECT_EQ(Encode(FullRecord()).size(), EncodedEventRecordSize(FullRecord()));
}

TEST(EventRecordTest, ServedRecommendationFieldsAreRefusedElsewhere) {
  EventRecord served = ServedRecord();
  served.recommendation_id.clear();
  EXPECT_THAT(ValidateEventRecord(served),
              StatusIs(absl::StatusCode::kInvalidArgument, "recommendation_id: empty"));
  served = ServedRecord();
  served.event_type = "click";
  EXPECT_THAT(ValidateEventRecord(served),
              StatusIs(absl::StatusCode::kInvalidArgument, "event_type"));
  served = ServedRecord();
  served.item_ids[1].clear();
  EXPECT_THAT(ValidateEventRecord(served),
              StatusIs(absl::StatusCode::kInvalidArgument, "item_ids[1]: empty"));
  served = ServedRecord();
  served.item_ids.assign(kMaxRecordItems + 1, "x");
  EXPECT_THAT(ValidateEventRecord(served),
              StatusIs(absl::StatusCode::kInvalidArgument, "item_ids"));
  served = ServedRecord();
  served.arm.assign(kMaxEventFieldBytes + 1, 'a');
  EXPECT_THAT(ValidateEventRecord(served), StatusIs(absl::StatusCode::kInvalidArgument, "arm"));
  EventRecord event = FullRecord();
  event.recipe = "sknn";
  EXPECT_THAT(ValidateEventRecord(event), StatusIs(absl::StatusCode::kInvalidArgument, "recipe"));
  EventRecord tombstone;
  tombstone.kind = EventRecord::Kind::kDeleteUser;
  tombstone.user_id = "u";
  tombstone.recommendation_id = "r";
  EXPECT_THAT(ValidateEventRecord(tombstone),
              StatusIs(absl::StatusCode::kInvalidArgument, "recommendation_id"));
  // Decoding: impression or id flags on another kind, and an impossible item count.
  tombstone.recommendation_id.clear();
  tombstone.seq = 1;
  std::string flagged = Encode(tombstone);
  flagged[17] = 0x04;
  EXPECT_THAT(DecodeEventRecord(flagged), StatusIs(absl::StatusCode::kDataLoss, "flags"));
  std::string bytes = Encode(ServedRecord());
  // The item count sits before the three ids ("i3", "i1", "i2": 6 bytes each).
  const size_t count_at = bytes.size() - 3 * 6 - 4;
  bytes[count_at + 3] = 0x7F;
  EXPECT_THAT(DecodeEventRecord(bytes), StatusIs(absl::StatusCode::kDataLoss, "item_ids count"));
}

TEST(EventRecordTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(7);
  int decoded = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bytes = Encode(trial % 4 < 2 ? FullRecord() : ServedRecord());
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
