#include "core/state/event_log_export.h"

#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"

namespace hrnn {
namespace {

// A CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
std::string CsvField(absl::string_view value) {
  if (value.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The seq of the last tombstone of each user the log forgot (a first pass over the log); adds
// the tombstones read to `*tombstones` when it is not null.
absl::StatusOr<absl::flat_hash_map<std::string, uint64_t>> LastTombstones(
    const EventLog& log, int64_t* tombstones = nullptr) {
  absl::flat_hash_map<std::string, uint64_t> forgotten_before;
  HRNN_RETURN_IF_ERROR(log.Read(log.first_seq(), [&](const EventRecord& record) {
    if (record.kind == EventRecord::Kind::kDeleteUser) {
      forgotten_before[record.user_id] = record.seq;
      if (tombstones != nullptr) ++*tombstones;
    }
    return true;
  }));
  return forgotten_before;
}

}  // namespace

absl::StatusOr<RecommendationExportStats> ExportServedRecommendations(const EventLog& log,
                                                                      int64_t since_ms,
                                                                      std::ostream& out) {
  HRNN_ASSIGN_OR_RETURN(const auto forgotten_before, LastTombstones(log));
  RecommendationExportStats stats;
  out << "RECOMMENDATION_ID,TIMESTAMP,USER_ID,SESSION_ID,ASKED_ITEM_ID,RECIPE,MODEL_VERSION,"
         "EXPERIMENT,ARM,ITEM_IDS\n";
  HRNN_RETURN_IF_ERROR(log.Read(log.first_seq(), [&](const EventRecord& record) {
    if (record.kind != EventRecord::Kind::kRecommendation || record.timestamp_ms < since_ms) {
      return true;
    }
    if (auto forgotten = forgotten_before.find(record.user_id);
        forgotten != forgotten_before.end() && record.seq < forgotten->second) {
      ++stats.recommendations_forgotten;
      return true;
    }
    out << CsvField(record.recommendation_id) << ',' << record.timestamp_ms << ','
        << CsvField(record.user_id) << ',' << CsvField(record.session_id) << ','
        << CsvField(record.item_id) << ',' << CsvField(record.recipe) << ','
        << CsvField(record.model_version) << ',' << CsvField(record.experiment) << ','
        << CsvField(record.arm) << ',' << CsvField(absl::StrJoin(record.item_ids, "|")) << '\n';
    ++stats.recommendations_written;
    return static_cast<bool>(out);
  }));
  if (!out) return absl::DataLossError("export: write failed");
  return stats;
}

absl::StatusOr<ExportStats> ExportEventLog(const EventLog& log, int64_t since_ms,
                                           std::ostream& out) {
  ExportStats stats;
  HRNN_ASSIGN_OR_RETURN(const auto forgotten_before, LastTombstones(log, &stats.tombstones));
  out << "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID\n";
  HRNN_RETURN_IF_ERROR(log.Read(log.first_seq(), [&](const EventRecord& record) {
    if (record.kind != EventRecord::Kind::kEvent || record.timestamp_ms < since_ms) return true;
    auto forgotten = forgotten_before.find(record.user_id);
    if (forgotten != forgotten_before.end() && record.seq < forgotten->second) {
      ++stats.events_forgotten;
      return true;
    }
    out << CsvField(record.user_id) << ',' << CsvField(record.item_id) << ','
        << record.timestamp_ms / 1000 << ',' << CsvField(record.event_type) << ','
        << (record.event_value.has_value() ? absl::StrFormat("%.17g", *record.event_value)
                                           : std::string())
        << ',' << CsvField(record.session_id) << '\n';
    ++stats.events_written;
    if (!record.recommendation_id.empty()) ++stats.events_with_recommendation_id;
    return static_cast<bool>(out);
  }));
  if (!out) return absl::DataLossError("export: write failed");
  return stats;
}

absl::StatusOr<ItemExportStats> ExportItemAvailability(
    const EventLog& log, absl::Span<const std::string> snapshot_unavailable, std::ostream& out) {
  std::map<std::string, bool> available;  // Sorted by id.
  for (const std::string& id : snapshot_unavailable) available[id] = false;
  HRNN_RETURN_IF_ERROR(log.Read(log.first_seq(), [&](const EventRecord& record) {
    if (record.kind == EventRecord::Kind::kItemAvailability) {
      available[record.item_id] = record.item_available;
    }
    return true;
  }));
  ItemExportStats stats;
  out << "ITEM_ID,AVAILABLE\n";
  for (const auto& [id, is_available] : available) {
    out << CsvField(id) << ',' << (is_available ? "true" : "false") << '\n';
    ++stats.items_written;
    if (!is_available) ++stats.unavailable;
  }
  if (!out) return absl::DataLossError("export: write failed");
  return stats;
}

}  // namespace hrnn
