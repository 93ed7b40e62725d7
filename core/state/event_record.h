// EventRecord: one entry of the event log (an accepted event, a user deletion or a catalogue
// availability change) and its binary encoding, the payload of a log record
// (core/state/log_segment.h). Plain value type and stateless functions; safe to call concurrently.
//
// Layout of an encoded record (all integers little-endian, strings a u32 byte length + bytes):
//   1. u64    seq            log sequence number, >= 1
//   2. u8     kind           1 = kEvent, 2 = kDeleteUser, 3 = kItemAvailability
//   3. i64    timestamp_ms   event time, ms since the epoch
//   4. u8     flags          bit 0: event_value present (kEvent only); bit 1: the item is
//                            available (kItemAvailability only); other bits 0
//   5. f64    event_value    IEEE-754 binary64; only when flags bit 0 is set
//   6. string user_id        1..kMaxEventFieldBytes bytes; 0 bytes for kItemAvailability
//   7. string session_id     0..kMaxEventFieldBytes bytes; 0 for kItemAvailability
//   8. string item_id        0..kMaxEventFieldBytes bytes; 1.. for kItemAvailability
//   9. string event_type     0..kMaxEventFieldBytes bytes; 0 for kItemAvailability
// and nothing after.
#ifndef HRNN_CORE_STATE_EVENT_RECORD_H_
#define HRNN_CORE_STATE_EVENT_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Longest string field a record may hold; longer ones are refused (encoding) or taken as
// corruption (decoding). The server's own limits on ids are far below this.
inline constexpr size_t kMaxEventFieldBytes = 64 * 1024;

struct EventRecord {
  enum class Kind : uint8_t {
    kEvent = 1,             // An event applied to the user's state.
    kDeleteUser = 2,        // A DeleteUser: the user's state is gone and their earlier events must
                            // not be used for training (tombstone).
    kItemAvailability = 3,  // A PutItems change: item_id is (un)available from now on.
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

  friend bool operator==(const EventRecord&, const EventRecord&) = default;
};

// OK when the record can be encoded: kind is kEvent or kDeleteUser with a user_id, or
// kItemAvailability with an item_id and no other string or event_value; item_available only
// with kItemAvailability; no string field longer than kMaxEventFieldBytes. Else InvalidArgument
// naming the field.
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
