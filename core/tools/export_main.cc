// hrnn-export: writes a server's event log (--state_dir) as an interactions CSV for hrnn-train,
// honouring DeleteUser tombstones, and optionally the catalogue's availability (PutItems) as an
// items CSV. Safe to run while the server is up.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/state/event_log_export.h"
#include "core/state/state_snapshot.h"
#include "core/tools/flags_usage.h"

ABSL_FLAG(std::string, state_dir, "",
          "The server's --state_dir (the log is in DIR/log). Required.");
ABSL_FLAG(std::string, out, "", "Output CSV file (required); '-' for stdout.");
ABSL_FLAG(absl::Duration, since, absl::ZeroDuration(),
          "Only events newer than this (e.g. 720h); 0 = every event the log holds.");
ABSL_FLAG(std::string, items_out, "",
          "Also write the catalogue's availability (PutItems) to this items CSV "
          "(ITEM_ID,AVAILABLE; items never marked are available and not listed).");
ABSL_FLAG(std::string, recommendations_out, "",
          "Also write the served recommendations the log holds (--record_recommendations) to "
          "this CSV (RECOMMENDATION_ID,TIMESTAMP,USER_ID,...,ARM,ITEM_IDS).");

namespace {

int Fail(const std::string& reason) {
  std::cerr << "hrnn-export: " << reason << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes the events of a server's event log as an interactions CSV for hrnn-train\n"
      "(USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,SESSION_ID), without the events of\n"
      "users forgotten with DeleteUser, and with --items_out the catalogue's availability.\n"
      "  hrnn-export --state_dir=DIR --out=FILE.csv [--since=720h] [--items_out=ITEMS.csv]\n"
      "              [--recommendations_out=SERVED.csv]");
  hrnn::ShowFlagsFrom("export_main");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) return Fail(absl::StrCat("unexpected argument: ", positional[1]));
  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (state_dir.empty()) return Fail("--state_dir is required");
  if (out_path.empty()) return Fail("--out is required");

  // EventLog::Open repairs a torn tail in place, which must never happen to the log a running
  // server is appending to: read a copy of the segments instead.
  std::error_code error;
  const std::filesystem::path copy =
      std::filesystem::temp_directory_path() / absl::StrCat("hrnn-export-", getpid());
  std::filesystem::remove_all(copy, error);
  std::filesystem::copy(std::filesystem::path(state_dir) / "log", copy, error);
  if (error) return Fail(absl::StrCat("cannot copy ", state_dir, "/log: ", error.message()));
  hrnn::EventLogOptions options;
  options.dir = copy.string();
  options.fsync = hrnn::FsyncPolicy::kNone;
  auto log = hrnn::EventLog::Open(options, nullptr);
  if (!log.ok()) {
    std::filesystem::remove_all(copy, error);
    return Fail(std::string(log.status().message()));
  }
  const absl::Duration since = absl::GetFlag(FLAGS_since);
  const int64_t since_ms =
      since == absl::ZeroDuration() ? 0 : absl::ToUnixMillis(absl::Now() - since);

  std::ofstream file;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(absl::StrCat("cannot write ", out_path));
  }
  std::ostream& out = out_path == "-" ? std::cout : file;
  absl::StatusOr<hrnn::ExportStats> stats = hrnn::ExportEventLog(**log, since_ms, out);
  if (!stats.ok()) {
    log->reset();
    std::filesystem::remove_all(copy, error);
    return Fail(std::string(stats.status().message()));
  }
  out.flush();
  const std::string items_path = absl::GetFlag(FLAGS_items_out);
  if (!items_path.empty()) {
    // The newest snapshot's out-of-stock items (reading a snapshot never changes it), then the
    // log's changes over them.
    std::vector<std::string> snapshot_unavailable;
    absl::StatusOr<hrnn::LoadedSnapshot> snapshot = hrnn::ReadLatestSnapshot(
        (std::filesystem::path(state_dir) / "snapshots").string(), nullptr);
    if (snapshot.ok()) {
      snapshot_unavailable = std::move(snapshot->header.unavailable_item_ids);
    } else if (!absl::IsNotFound(snapshot.status())) {
      log->reset();
      std::filesystem::remove_all(copy, error);
      return Fail(std::string(snapshot.status().message()));
    }
    std::ofstream items(items_path, std::ios::binary | std::ios::trunc);
    absl::StatusOr<hrnn::ItemExportStats> item_stats =
        items ? hrnn::ExportItemAvailability(**log, snapshot_unavailable, items)
              : absl::StatusOr<hrnn::ItemExportStats>(
                    absl::UnavailableError(absl::StrCat("cannot write ", items_path)));
    if (!item_stats.ok()) {
      log->reset();
      std::filesystem::remove_all(copy, error);
      return Fail(std::string(item_stats.status().message()));
    }
    std::fprintf(stderr, "hrnn-export: %lld items written to %s, %lld of them out of stock\n",
                 static_cast<long long>(item_stats->items_written), items_path.c_str(),
                 static_cast<long long>(item_stats->unavailable));
  }
  const std::string recommendations_path = absl::GetFlag(FLAGS_recommendations_out);
  if (!recommendations_path.empty()) {
    std::ofstream recommendations(recommendations_path, std::ios::binary | std::ios::trunc);
    absl::StatusOr<hrnn::RecommendationExportStats> served =
        recommendations ? hrnn::ExportServedRecommendations(**log, since_ms, recommendations)
                        : absl::StatusOr<hrnn::RecommendationExportStats>(absl::UnavailableError(
                              absl::StrCat("cannot write ", recommendations_path)));
    if (!served.ok()) {
      log->reset();
      std::filesystem::remove_all(copy, error);
      return Fail(std::string(served.status().message()));
    }
    std::fprintf(stderr,
                 "hrnn-export: %lld served recommendations written to %s, %lld dropped for "
                 "deleted users\n",
                 static_cast<long long>(served->recommendations_written),
                 recommendations_path.c_str(),
                 static_cast<long long>(served->recommendations_forgotten));
  }
  log->reset();
  std::filesystem::remove_all(copy, error);
  std::fprintf(stderr,
               "hrnn-export: %lld events written (%lld with a recommendation id), %lld dropped for "
               "%lld deleted users\n",
               static_cast<long long>(stats->events_written),
               static_cast<long long>(stats->events_with_recommendation_id),
               static_cast<long long>(stats->events_forgotten),
               static_cast<long long>(stats->tombstones));
  return out ? 0 : 1;
}
