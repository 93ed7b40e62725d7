// hrnn-synth: writes a seeded synthetic interaction log (Personalize CSV) for tests and
// benchmarks (DESIGN §10). See core/data/synth.h for the model of users and items.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/data/synth.h"
#include "core/tools/flags_usage.h"

ABSL_FLAG(std::string, out, "", "Output CSV file (required); gzip-compressed if it ends in .gz");
ABSL_FLAG(int64_t, users, 1000, "Number of users");
ABSL_FLAG(int64_t, items, 10000, "Number of items (ids i0..i<items-1>)");
ABSL_FLAG(int64_t, events, 100000, "Number of rows (clicks + purchases), >= 2 * users");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; the same flags give the same file");
ABSL_FLAG(int64_t, clusters, 0, "Taste clusters; 0 = items / 100 clamped to [1, 1000]");
ABSL_FLAG(double, zipf, 1.0, "Zipf exponent of popularity inside and across clusters");
ABSL_FLAG(double, gift_share, 0.1, "Share of one-off sessions from a random cluster");
ABSL_FLAG(double, drift, 0.03, "Per-session probability that a favourite cluster changes");
ABSL_FLAG(double, purchase_share, 0.05, "Probability that a click is followed by a purchase");
ABSL_FLAG(double, near_share, 0.6, "Probability that the next item is near the previous one");
ABSL_FLAG(double, personal_share, 0.2,
          "Probability that the next item returns to the user's own favourite items");
ABSL_FLAG(double, session_length, 6.0, "Mean session length in rows (>= 2)");
ABSL_FLAG(double, gap_days, 3.0, "Mean days between a user's sessions");
ABSL_FLAG(int64_t, start, 1700000000, "Epoch seconds of the earliest event");
ABSL_FLAG(std::string, items_out, "",
          "Also write the items CSV here (ITEM_ID,CATEGORY,COLOR,SIZE,PRICE,CREATION_TIMESTAMP; "
          "attributes follow the taste clusters), for hrnn-train --items");
ABSL_FLAG(int64_t, new_items, 0,
          "With --items_out: items added after the log's last event (ids i<items>..), in no "
          "log row: a shop's new arrivals, for cold start");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes a synthetic interaction log (USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE).\n"
      "Usage: hrnn-synth --out=FILE.csv --users=N --items=N --events=N --seed=S [knobs]\n"
      "       [--items_out=ITEMS.csv [--new_items=N]]");
  hrnn::ShowFlagsFrom("synth_main");
  const std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() > 1) {
    std::fprintf(stderr, "hrnn-synth: unexpected argument \"%s\" (flags are --name=value)\n",
                 args[1]);
    return 2;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fprintf(stderr, "hrnn-synth: --out is required\n");
    return 2;
  }
  hrnn::SynthOptions options;
  options.users = absl::GetFlag(FLAGS_users);
  options.items = absl::GetFlag(FLAGS_items);
  options.events = absl::GetFlag(FLAGS_events);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.clusters = absl::GetFlag(FLAGS_clusters);
  options.zipf = absl::GetFlag(FLAGS_zipf);
  options.gift_share = absl::GetFlag(FLAGS_gift_share);
  options.drift = absl::GetFlag(FLAGS_drift);
  options.purchase_share = absl::GetFlag(FLAGS_purchase_share);
  options.near_share = absl::GetFlag(FLAGS_near_share);
  options.personal_share = absl::GetFlag(FLAGS_personal_share);
  options.mean_session_length = absl::GetFlag(FLAGS_session_length);
  options.mean_gap_days = absl::GetFlag(FLAGS_gap_days);
  options.start_time = absl::GetFlag(FLAGS_start);
  if (absl::Status status = options.Validate(); !status.ok()) {
    // Field names are the flag names except for these two.
    std::string message(status.message());
    if (message.rfind("mean_session_length", 0) == 0) message.replace(0, 19, "session_length");
    if (message.rfind("mean_gap_days", 0) == 0) message.replace(0, 13, "gap_days");
    if (message.rfind("start_time", 0) == 0) message.replace(0, 10, "start");
    std::fprintf(stderr, "hrnn-synth: --%s\n", message.c_str());
    return 2;
  }
  const auto begin = std::chrono::steady_clock::now();
  const absl::StatusOr<hrnn::SynthStats> stats = hrnn::WriteSyntheticCsv(options, out);
  if (!stats.ok()) {
    std::fprintf(stderr, "hrnn-synth: %s\n", std::string(stats.status().message()).c_str());
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf("hrnn-synth: wrote %s: %s; %.1f s\n", out.c_str(), stats->ToString().c_str(),
              seconds);
  const std::string items_out = absl::GetFlag(FLAGS_items_out);
  if (!items_out.empty()) {
    const absl::StatusOr<int64_t> rows = hrnn::WriteSyntheticItemsCsv(
        options, absl::GetFlag(FLAGS_new_items), stats->last_timestamp, items_out);
    if (!rows.ok()) {
      std::fprintf(stderr, "hrnn-synth: --items_out: %s\n",
                   std::string(rows.status().message()).c_str());
      return 1;
    }
    std::printf("hrnn-synth: wrote %s: %lld items (%lld new)\n", items_out.c_str(),
                static_cast<long long>(*rows),
                static_cast<long long>(absl::GetFlag(FLAGS_new_items)));
  } else if (absl::GetFlag(FLAGS_new_items) != 0) {
    std::fprintf(stderr, "hrnn-synth: --new_items needs --items_out\n");
    return 2;
  }
  return 0;
}
