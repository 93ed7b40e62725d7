#include "core/state/event_record.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/state/internal/file_io.h"

namespace hrnn {
namespace {

constexpr uint8_t kHasEventValue = 0x01;
constexpr uint8_t kItemAvailable = 0x02;
constexpr uint8_t kHasRecommendationId = 0x04;
constexpr uint8_t kHasItemIds = 0x08;

absl::Status FieldTooLong(absl::string_view field, size_t size) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", size, " bytes, more than the ",
                                                 kMaxEventFieldBytes, " an event may hold"));
}

bool KnownKind(uint8_t kind) {
  return kind == static_cast<uint8_t>(EventRecord::Kind::kEvent) ||
         kind == static_cast<uint8_t>(EventRecord::Kind::kDeleteUser) ||
         kind == static_cast<uint8_t>(EventRecord::Kind::kItemAvailability) ||
         kind == static_cast<uint8_t>(EventRecord::Kind::kRecommendation);
}

bool IsRecommendation(const EventRecord& record) {
  return record.kind == EventRecord::Kind::kRecommendation;
}

// kEvent's optional fields, as flags.
uint8_t FlagsOf(const EventRecord& record) {
  const bool event = record.kind == EventRecord::Kind::kEvent;
  return static_cast<uint8_t>(
      (record.event_value.has_value() ? kHasEventValue : 0) |
      (record.item_available ? kItemAvailable : 0) |
      (event && !record.recommendation_id.empty() ? kHasRecommendationId : 0) |
      (event && !record.item_ids.empty() ? kHasItemIds : 0));
}

// The fields only kEvent and kRecommendation may hold.
absl::Status ValidateRecommendationFields(const EventRecord& record) {
  const bool event = record.kind == EventRecord::Kind::kEvent;
  if (!IsRecommendation(record)) {
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string*>{"recipe", &record.recipe},
          {"model_version", &record.model_version},
          {"experiment", &record.experiment},
          {"arm", &record.arm}}) {
      if (!value->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": set on a record that is not a served recommendation"));
      }
    }
    if (!event && (!record.recommendation_id.empty() || !record.item_ids.empty())) {
      return absl::InvalidArgumentError(
          "recommendation_id and item_ids: set on a record that is neither an event nor a "
          "served recommendation");
    }
  } else {
    if (record.recommendation_id.empty()) {
      return absl::InvalidArgumentError("recommendation_id: empty");
    }
    if (!record.event_type.empty() || record.event_value.has_value()) {
      return absl::InvalidArgumentError(
          "a served recommendation holds no event_type or event_value");
    }
  }
  if (record.item_ids.size() > kMaxRecordItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("item_ids: ", record.item_ids.size(), " ids, more than ", kMaxRecordItems));
  }
  for (size_t i = 0; i < record.item_ids.size(); ++i) {
    if (record.item_ids[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("item_ids[", i, "]: empty"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKindFields(const EventRecord& record) {
  if (record.kind != EventRecord::Kind::kItemAvailability) {
    if (record.user_id.empty() && !IsRecommendation(record)) {
      return absl::InvalidArgumentError("user_id: empty");
    }
    if (record.item_available) {
      return absl::InvalidArgumentError(
          "item_available: set on a record that is not a catalogue "
          "availability change");
    }
    return ValidateRecommendationFields(record);
  }
  if (record.item_id.empty()) return absl::InvalidArgumentError("item_id: empty");
  if (!record.user_id.empty() || !record.session_id.empty() || !record.event_type.empty() ||
      record.event_value.has_value()) {
    return absl::InvalidArgumentError(
        "an availability change holds only item_id and item_available (user_id, session_id, "
        "event_type and event_value must be empty)");
  }
  return ValidateRecommendationFields(record);
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
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"event_type", &record.event_type},
        {"recommendation_id", &record.recommendation_id},
        {"recipe", &record.recipe},
        {"model_version", &record.model_version},
        {"experiment", &record.experiment},
        {"arm", &record.arm}}) {
    if (value->size() > kMaxEventFieldBytes) return FieldTooLong(name, value->size());
  }
  for (size_t i = 0; i < record.item_ids.size(); ++i) {
    if (record.item_ids[i].size() > kMaxEventFieldBytes) {
      return FieldTooLong(absl::StrCat("item_ids[", i, "]"), record.item_ids[i].size());
    }
  }
  return absl::OkStatus();
}

size_t EncodedEventRecordSize(const EventRecord& record) {
  size_t size = 8 + 1 + 8 + 1 + (record.event_value.has_value() ? 8 : 0) + 4 * 4 +
                record.user_id.size() + record.session_id.size() + record.item_id.size() +
                record.event_type.size();
  const uint8_t flags = FlagsOf(record);
  const bool recommendation = IsRecommendation(record);
  if (recommendation || (flags & kHasRecommendationId) != 0) {
    size += 4 + record.recommendation_id.size();
  }
  if (recommendation) {
    size += 4 * 4 + record.recipe.size() + record.model_version.size() + record.experiment.size() +
            record.arm.size();
  }
  if (recommendation || (flags & kHasItemIds) != 0) {
    size += 4;
    for (const std::string& id : record.item_ids) size += 4 + id.size();
  }
  return size;
}

void EncodeEventRecord(const EventRecord& record, std::string* out) {
  using internal::PutString;
  internal::PutU64(out, record.seq);
  internal::PutU8(out, static_cast<uint8_t>(record.kind));
  internal::PutI64(out, record.timestamp_ms);
  const uint8_t flags = FlagsOf(record);
  internal::PutU8(out, flags);
  if (record.event_value.has_value()) internal::PutF64(out, *record.event_value);
  PutString(out, record.user_id);
  PutString(out, record.session_id);
  PutString(out, record.item_id);
  PutString(out, record.event_type);
  const bool recommendation = IsRecommendation(record);
  if (recommendation || (flags & kHasRecommendationId) != 0) {
    PutString(out, record.recommendation_id);
  }
  if (recommendation) {
    PutString(out, record.recipe);
    PutString(out, record.model_version);
    PutString(out, record.experiment);
    PutString(out, record.arm);
  }
  if (recommendation || (flags & kHasItemIds) != 0) {
    internal::PutU32(out, static_cast<uint32_t>(record.item_ids.size()));
    for (const std::string& id : record.item_ids) PutString(out, id);
  }
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
  if ((flags & ~(kHasEventValue | kItemAvailable | kHasRecommendationId | kHasItemIds)) != 0 ||
      ((flags & (kHasRecommendationId | kHasItemIds)) != 0 &&
       record.kind != EventRecord::Kind::kEvent)) {
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
  const bool recommendation = IsRecommendation(record);
  std::vector<Field> more;
  if (recommendation || (flags & kHasRecommendationId) != 0) {
    more.push_back({"recommendation_id", &record.recommendation_id});
  }
  if (recommendation) {
    more.insert(more.end(),
                {Field{"recipe", &record.recipe}, Field{"model_version", &record.model_version},
                 Field{"experiment", &record.experiment}, Field{"arm", &record.arm}});
  }
  for (const Field& field : more) {
    if (!in.GetString(field.value, kMaxEventFieldBytes)) {
      return absl::DataLossError(absl::StrCat("event record: ", field.name,
                                              " length is beyond the record or over the limit"));
    }
  }
  if (recommendation || (flags & kHasItemIds) != 0) {
    uint32_t count = 0;
    if (!in.GetU32(&count)) return absl::DataLossError("event record: ends inside item_ids");
    // Each id takes at least 4 bytes: a count beyond that is corruption, whatever its size.
    if (count > kMaxRecordItems || count > in.remaining() / 4) {
      return absl::DataLossError(absl::StrCat("event record: item_ids count ", count,
                                              " is beyond the record or over ", kMaxRecordItems));
    }
    record.item_ids.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      if (!in.GetString(&record.item_ids[i], kMaxEventFieldBytes)) {
        return absl::DataLossError(absl::StrCat("event record: item_ids[", i,
                                                "] length is beyond the record or over the limit"));
      }
    }
    if ((flags & kHasItemIds) != 0 && count == 0) {
      return absl::DataLossError("event record: impressions flagged but none held");
    }
  }
  if ((flags & kHasRecommendationId) != 0 && record.recommendation_id.empty()) {
    return absl::DataLossError("event record: recommendation_id flagged but empty");
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
