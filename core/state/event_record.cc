#include "core/state/event_record.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/state/internal/file_io.h"

namespace hrnn {
namespace {

constexpr uint8_t kHasEventValue = 0x01;
constexpr uint8_t kItemAvailable = 0x02;

absl::Status FieldTooLong(absl::string_view field, size_t size) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", size, " bytes, more than the ",
                                                 kMaxEventFieldBytes, " an event may hold"));
}

bool KnownKind(uint8_t kind) {
  return kind == static_cast<uint8_t>(EventRecord::Kind::kEvent) ||
         kind == static_cast<uint8_t>(EventRecord::Kind::kDeleteUser) ||
         kind == static_cast<uint8_t>(EventRecord::Kind::kItemAvailability);
}

absl::Status ValidateKindFields(const EventRecord& record) {
  if (record.kind != EventRecord::Kind::kItemAvailability) {
    if (record.user_id.empty()) return absl::InvalidArgumentError("user_id: empty");
    if (record.item_available) {
      return absl::InvalidArgumentError(
          "item_available: set on a record that is not a catalogue "
          "availability change");
    }
    return absl::OkStatus();
  }
  if (record.item_id.empty()) return absl::InvalidArgumentError("item_id: empty");
  if (!record.user_id.empty() || !record.session_id.empty() || !record.event_type.empty() ||
      record.event_value.has_value()) {
    return absl::InvalidArgumentError(
        "an availability change holds only item_id and item_available (user_id, session_id, "
        "event_type and event_value must be empty)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateEventRecord(const EventRecord& record) {
  if (!KnownKind(static_cast<uint8_t>(record.kind))) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: ", static_cast<int>(record.kind), " is not an event kind"));
  }
  HRNN_RETURN_IF_ERROR(ValidateKindFields(record));
  if (record.user_id.size() > kMaxEventFieldBytes) {
    return FieldTooLong("user_id", record.user_id.size());
  }
  if (record.session_id.size() > kMaxEventFieldBytes) {
    return FieldTooLong("session_id", record.session_id.size());
  }
  if (record.item_id.size() > kMaxEventFieldBytes) {
    return FieldTooLong("item_id", record.item_id.size());
  }
  if (record.event_type.size() > kMaxEventFieldBytes) {
    return FieldTooLong("event_type", record.event_type.size());
  }
  return absl::OkStatus();
}

size_t EncodedEventRecordSize(const EventRecord& record) {
  return 8 + 1 + 8 + 1 + (record.event_value.has_value() ? 8 : 0) + 4 * 4 + record.user_id.size() +
         record.session_id.size() + record.item_id.size() + record.event_type.size();
}

void EncodeEventRecord(const EventRecord& record, std::string* out) {
  using internal::PutString;
  internal::PutU64(out, record.seq);
  internal::PutU8(out, static_cast<uint8_t>(record.kind));
  internal::PutI64(out, record.timestamp_ms);
  internal::PutU8(out, static_cast<uint8_t>((record.event_value.has_value() ? kHasEventValue : 0) |
                                            (record.item_available ? kItemAvailable : 0)));
  if (record.event_value.has_value()) internal::PutF64(out, *record.event_value);
  PutString(out, record.user_id);
  PutString(out, record.session_id);
  PutString(out, record.item_id);
  PutString(out, record.event_type);
}

absl::StatusOr<EventRecord> DecodeEventRecord(absl::string_view bytes) {
  internal::ByteDecoder in(bytes);
  EventRecord record;
  uint8_t kind = 0;
  uint8_t flags = 0;
  if (!in.GetU64(&record.seq) || !in.GetU8(&kind) || !in.GetI64(&record.timestamp_ms) ||
      !in.GetU8(&flags)) {
    return absl::DataLossError(
        absl::StrCat("event record: ", bytes.size(), " bytes end inside the fixed fields"));
  }
  if (record.seq == 0) return absl::DataLossError("event record: seq 0");
  if (!KnownKind(kind)) {
    return absl::DataLossError(absl::StrCat("event record: unknown kind ", static_cast<int>(kind)));
  }
  record.kind = static_cast<EventRecord::Kind>(kind);
  if ((flags & ~(kHasEventValue | kItemAvailable)) != 0) {
    return absl::DataLossError(
        absl::StrCat("event record: unknown flags ", static_cast<int>(flags)));
  }
  if ((flags & kHasEventValue) != 0) {
    double value;
    if (!in.GetF64(&value)) return absl::DataLossError("event record: ends inside event_value");
    record.event_value = value;
  }
  record.item_available = (flags & kItemAvailable) != 0;
  struct Field {
    const char* name;
    std::string* value;
  };
  for (const Field& field :
       {Field{"user_id", &record.user_id}, Field{"session_id", &record.session_id},
        Field{"item_id", &record.item_id}, Field{"event_type", &record.event_type}}) {
    if (!in.GetString(field.value, kMaxEventFieldBytes)) {
      return absl::DataLossError(absl::StrCat("event record: ", field.name,
                                              " length is beyond the record or over the limit"));
    }
  }
  if (const absl::Status fields = ValidateKindFields(record); !fields.ok()) {
    return absl::DataLossError(absl::StrCat("event record: ", fields.message()));
  }
  if (in.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat("event record: ", in.remaining(), " bytes after the last field"));
  }
  return record;
}

}  // namespace hrnn
