// EventRecord: one entry of the event log (an accepted event, a user deletion, a catalogue
// availability change or a served recommendation) and its binary encoding, the payload of a log
// record (core/state/log_segment.h). Plain value type and stateless functions; safe to call
// concurrently.
//
// Layout of an encoded record (all integers little-endian, strings a u32 byte length + bytes):
//   1. u64    seq            log sequence number, >= 1
//   2. u8     kind           1 = kEvent, 2 = kDeleteUser, 3 = kItemAvailability,
//                            4 = kRecommendation
//   3. i64    timestamp_ms   event time (kRecommendation: when it was served), ms since the epoch
//   4. u8     flags          bit 0: event_value present (kEvent only); bit 1: the item is
//                            available (kItemAvailability only); bit 2: recommendation_id present
//                            (kEvent only); bit 3: item_ids (impressions) present (kEvent only);
//                            other bits 0
//   5. f64    event_value    IEEE-754 binary64; only when flags bit 0 is set
//   6. string user_id        1..kMaxEventFieldBytes bytes; 0 bytes for kItemAvailability; 0..
//                            for kRecommendation (GetSimilarItems may name no user)
//   7. string session_id     0..kMaxEventFieldBytes bytes; 0 for kItemAvailability
//   8. string item_id        0..kMaxEventFieldBytes bytes; 1.. for kItemAvailability; for
//                            kRecommendation the item GetSimilarItems was asked about (0 bytes for
//                            GetRecommendations)
//   9. string event_type     0..kMaxEventFieldBytes bytes; 0 for kItemAvailability and
//                            kRecommendation
//  10. string recommendation_id  1..kMaxEventFieldBytes bytes; kRecommendation, and kEvent with
//                            flags bit 2
//  11. strings recipe, model_version, experiment, arm   0..kMaxEventFieldBytes bytes each;
//                            kRecommendation only (experiment and arm empty outside experiments)
//  12. u32    n, then n strings item_ids   0..kMaxRecordItems ids of 1..kMaxEventFieldBytes
//                            bytes: kRecommendation's served items, best first (rank = position
//                            + 1), and kEvent's impressions with flags bit 3
// and nothing after. Records of kinds 1..3 written before kinds 4 and flags bits 2..3 existed
// decode unchanged.
#ifndef HRNN_CORE_STATE_EVENT_RECORD_H_
#define HRNN_CORE_STATE_EVENT_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Longest string field a record may hold; longer ones are refused (encoding) or taken as
// corruption (decoding). The server's own limits on ids are far below this.
inline constexpr size_t kMaxEventFieldBytes = 64 * 1024;
// Most ids one record's item list may hold (served lists and impressions are far shorter).
inline constexpr size_t kMaxRecordItems = 10000;

struct EventRecord {
  enum class Kind : uint8_t {
    kEvent = 1,             // An event applied to the user's state.
    kDeleteUser = 2,        // A DeleteUser: the user's state is gone and their earlier events must
                            // not be used for training (tombstone).
    kItemAvailability = 3,  // A PutItems change: item_id is (un)available from now on.
    kRecommendation = 4,    // A served GetRecommendations / GetSimilarItems answer (issue 16).
  };

  uint64_t seq = 0;  // Assigned by EventLog::Append.
  Kind kind = Kind::kEvent;
  int64_t timestamp_ms = 0;
  std::string user_id;
  std::string session_id;
  std::string item_id;
  std::string event_type;
  std::optional<double> event_value;
  bool item_available = false;  // kItemAvailability only: the item's new availability.
  // kEvent: the recommendation the event came from (optional); kRecommendation: its id.
  std::string recommendation_id;
  // kRecommendation only: what answered and, in an experiment, the user's arm.
  std::string recipe;
  std::string model_version;
  std::string experiment;
  std::string arm;
  // kRecommendation: the served items, best first; kEvent: the impressions (optional).
  std::vector<std::string> item_ids;

  friend bool operator==(const EventRecord&, const EventRecord&) = default;
};

// OK when the record can be encoded: kind is kEvent or kDeleteUser with a user_id, or
// kItemAvailability with an item_id and no other string or event_value, or kRecommendation with
// a recommendation_id, no event_type or event_value; item_available only with
// kItemAvailability; recipe, model_version, experiment and arm only with kRecommendation;
// recommendation_id and item_ids only with kEvent and kRecommendation, at most kMaxRecordItems
// non-empty ids; no string longer than kMaxEventFieldBytes. Else InvalidArgument naming the field.
absl::Status ValidateEventRecord(const EventRecord& record);

// The size EncodeEventRecord produces for `record`.
size_t EncodedEventRecordSize(const EventRecord& record);

// Appends the encoding of `record` to `out`. REQUIRES: ValidateEventRecord(record).ok().
void EncodeEventRecord(const EventRecord& record, std::string* out);

// Decodes one record that must span all of `bytes`. DataLoss (with what is wrong) when the bytes
// end early, a string length exceeds kMaxEventFieldBytes or the bytes left, the kind or flags are
// unknown (or a flag of another kind is set), the fields break ValidateEventRecord's rules, seq
// is 0, or bytes are left over. Never reads outside `bytes`.
absl::StatusOr<EventRecord> DecodeEventRecord(absl::string_view bytes);

}  // namespace hrnn

#endif  // HRNN_CORE_STATE_EVENT_RECORD_H_
