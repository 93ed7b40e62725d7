// hrnn-cli: a command-line client of the hrnn.v1 Recommender service (DESIGN §10): ask for
// recommendations, similar items and rankings, send and replay events, manage items and users, read
// the model info, the named filters and health. Flags are parsed here only; the calls go through
// client/RecommenderClient.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/event_csv_reader.h"
#include "client/filter_values.h"
#include "client/recommender_client.h"
#include "client/response_format.h"
#include "client/routing_metadata.h"
#include "client/tools/flags_usage.h"

// Every command.
ABSL_FLAG(std::string, target, "", "Server address HOST:PORT (any gRPC target). Required.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(2),
          "Deadline of each call, retries included (e.g. 500ms, 2s).");
ABSL_FLAG(int, max_attempts, 3, "Attempts per call when the server answers UNAVAILABLE (1..10).");
ABSL_FLAG(bool, json, false, "Print the response as one line of JSON (proto field names).");

// recommend, rank, event, delete-user, similar.
ABSL_FLAG(std::string, user, "",
          "recommend, rank, event, delete-user: the user id. Required. similar: optional, the "
          "user whose items the user-based filter flags leave out.");
ABSL_FLAG(std::string, session, "",
          "recommend, rank, event, similar: the storefront's session id.");

// recommend, rank, similar: the filter.
ABSL_FLAG(int, n, 10, "recommend, similar: how many items (1..500).");
ABSL_FLAG(std::string, recipe, "",
          "recommend: the recipe (hrnn, sknn, sr, personal, trending, auto; empty: the model's "
          "default).");
ABSL_FLAG(bool, exclude_session_items, false,
          "recommend, rank, similar: leave out items clicked in the current session.");
ABSL_FLAG(bool, exclude_history, false,
          "recommend, rank, similar: leave out items the user clicked in any session.");
ABSL_FLAG(bool, exclude_purchased, false,
          "recommend, rank, similar: leave out items the user bought.");
ABSL_FLAG(std::vector<std::string>, exclude, {},
          "recommend, rank, similar: item ids never to return, comma-separated.");
ABSL_FLAG(std::vector<std::string>, include, {},
          "recommend, rank, similar: return only among these item ids, comma-separated.");
ABSL_FLAG(std::string, filter, "",
          "recommend, rank, similar: a named filter of the server's --filters_file (the "
          "filters command lists them).");
ABSL_FLAG(std::string, filter_values, "",
          "recommend, rank, similar: the --filter's parameter values, PARAM=V1|V2;PARAM2=V "
          "(names without \"$\"; spaces around names and values are trimmed). Needs --filter.");

// recommend: a promotion.
ABSL_FLAG(std::string, promotion, "",
          "recommend: a promotion's name, shown on the items it placed. Needs "
          "--promotion_filter.");
ABSL_FLAG(int, promotion_percent, 20,
          "recommend: the share of the slots (1..100) for the --promotion.");
ABSL_FLAG(std::string, promotion_filter, "",
          "recommend: the named filter whose best items the --promotion places.");
ABSL_FLAG(std::string, promotion_values, "",
          "recommend: the --promotion_filter's parameter values, as --filter_values.");

// rank, put-items.
ABSL_FLAG(std::vector<std::string>, items, {},
          "rank: the candidate item ids; put-items: the item ids to update. Comma-separated; "
          "required.");
ABSL_FLAG(bool, available, true, "put-items: mark the items available (true) or out of stock.");

// event, similar.
ABSL_FLAG(std::string, item, "",
          "event: the item id; similar: the item to find similar items for. Required.");
ABSL_FLAG(std::string, type, "", "event: the event type (empty: the server's default, click).");
ABSL_FLAG(double, value, std::numeric_limits<double>::quiet_NaN(),
          "event: the event value (unset: none).");
ABSL_FLAG(int64_t, timestamp_ms, 0, "event: when it happened, Unix milliseconds (0: now).");
ABSL_FLAG(std::string, recommendation_id, "", "event: the recommendation_id the click came from.");

// replay.
ABSL_FLAG(std::string, input, "",
          "replay: the Personalize CSV log (header USER_ID,ITEM_ID,TIMESTAMP[,EVENT_TYPE]"
          "[,EVENT_VALUE][,SESSION_ID]; TIMESTAMP in Unix seconds). Required (or as the "
          "argument after replay).");
ABSL_FLAG(int64_t, limit, 0, "replay: send at most this many events (0: all).");
ABSL_FLAG(int64_t, batch, 1000,
          "replay: events per StreamEvents stream (0: the whole file in one stream).");
ABSL_FLAG(bool, strict, false, "replay: stop at the first malformed line instead of skipping it.");
ABSL_FLAG(absl::Duration, stream_deadline, absl::Minutes(5),
          "replay: deadline of each stream (inf: none).");

// health.
ABSL_FLAG(std::string, service, "",
          "health: the service to check (\"\": the whole server, or hrnn.v1.Recommender).");

namespace {

using hrnn::client::RecommenderClient;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;  // The call failed, an event was rejected, or not SERVING.
constexpr int kExitUsage = 2;

// The longest --user sent. No server accepts a longer id (its --max_id_bytes, 256 by default, is
// at most 4096), and the id also travels as hrnn-user-id metadata, which must fit in gRPC's
// 8 KiB metadata limit with the other headers (escaping can triple it: see routing_metadata.h).
constexpr size_t kMaxUserIdBytes = 4096;
constexpr size_t kMaxUserIdMetadataBytes = 6144;

constexpr char kUsage[] =
    "A command-line client of the hrnn recommendation service.\n"
    "Usage: hrnn-cli --target=HOST:PORT [--deadline=2s] [--json] COMMAND [flags]\n"
    "Commands:\n"
    "  recommend --user=U [--session=S] [--n=10] [--recipe=R] [--exclude_session_items]\n"
    "            [--exclude_history]\n"
    "            [--exclude_purchased] [--exclude=I1,I2] [--include=I1,I2]\n"
    "            [--filter=NAME [--filter_values='PARAM=V1|V2;PARAM2=V']]\n"
    "            [--promotion=NAME --promotion_filter=FILTER [--promotion_values=...]\n"
    "             [--promotion_percent=20]]   promoted items are marked in the table\n"
    "  similar --item=I [--n=10] [--user=U [--session=S]] [filter flags as recommend]\n"
    "        items like I (\"people who looked at this also looked at\"); the user-based\n"
    "        filter flags need --user\n"
    "  rank --user=U --items=I1,I2,... [--session=S] [filter flags as recommend]\n"
    "  event --user=U --item=I [--type=T] [--session=S] [--value=V] [--timestamp_ms=T]\n"
    "        [--recommendation_id=R]     (exit 1 when the server rejects the event)\n"
    "  replay --input=FILE.csv [--limit=N] [--batch=1000] [--strict] [--stream_deadline=5m]\n"
    "        streams a Personalize CSV log as events; rejected events and skipped lines are\n"
    "        reported on stderr as FILE:LINE\n"
    "  model-info\n"
    "  filters   the server's named filters (for --filter), one per line:\n"
    "        NAME(PARAM[:number], ...): EXPRESSION   (a :number parameter takes one number)\n"
    "  health [--service=S]   prints SERVING, NOT_SERVING, ...; exit 0 only when SERVING\n"
    "  delete-user --user=U\n"
    "  put-items --items=I1,I2 [--available=false]\n"
    "Output: a table, or with --json the response as JSON. Exit status: 0 success, 1 failed call\n"
    "(\"error: CODE: message\" on stderr), 2 bad usage.";

// The flags each command reads, beyond the global ones.
const std::map<std::string, std::set<std::string>>& CommandFlags() {
  static const auto* const kFlags = new std::map<std::string, std::set<std::string>>{
      {"recommend",
       {"user", "session", "n", "recipe", "exclude_session_items", "exclude_history",
        "exclude_purchased", "exclude", "include", "filter", "filter_values", "promotion",
        "promotion_percent", "promotion_filter", "promotion_values"}},
      {"similar",
       {"item", "user", "session", "n", "exclude_session_items", "exclude_history",
        "exclude_purchased", "exclude", "include", "filter", "filter_values"}},
      {"rank",
       {"user", "session", "items", "exclude_session_items", "exclude_history", "exclude_purchased",
        "exclude", "include", "filter", "filter_values"}},
      {"event", {"user", "session", "item", "type", "value", "timestamp_ms", "recommendation_id"}},
      {"replay", {"input", "limit", "batch", "strict", "stream_deadline"}},
      {"model-info", {}},
      {"filters", {}},
      {"health", {"service"}},
      {"delete-user", {"user"}},
      {"put-items", {"items", "available"}},
  };
  return *kFlags;
}

// Every per-command flag (the union of CommandFlags()).
std::set<std::string> AllCommandFlags() {
  std::set<std::string> all;
  for (const auto& [command, flags] : CommandFlags()) all.insert(flags.begin(), flags.end());
  return all;
}

int UsageError(const std::string& message) {
  std::cerr << "hrnn-cli: " << message << " (see hrnn-cli --help)\n";
  return kExitUsage;
}

int CallError(const absl::Status& status) {
  std::cerr << "error: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
            << "\n";
  return kExitError;
}

// Prints `message` as JSON with --json, else `table`.
int Print(const google::protobuf::Message& message, const std::string& table) {
  if (!absl::GetFlag(FLAGS_json)) {
    std::cout << table << std::flush;
    return kExitOk;
  }
  absl::StatusOr<std::string> json = hrnn::client::ToJson(message);
  if (!json.ok()) return CallError(json.status());
  std::cout << *json << std::endl;
  return kExitOk;
}

// The filter flags as a Filter. Returns InvalidArgument, with a message for UsageError, for
// --filter_values without --filter or a malformed --filter_values.
absl::StatusOr<hrnn::v1::Filter> FilterFromFlags() {
  hrnn::v1::Filter filter;
  filter.set_exclude_session_items(absl::GetFlag(FLAGS_exclude_session_items));
  filter.set_exclude_user_history(absl::GetFlag(FLAGS_exclude_history));
  filter.set_exclude_purchased(absl::GetFlag(FLAGS_exclude_purchased));
  for (const std::string& id : absl::GetFlag(FLAGS_exclude)) filter.add_exclude_item_ids(id);
  for (const std::string& id : absl::GetFlag(FLAGS_include)) filter.add_include_item_ids(id);
  const std::string name = absl::GetFlag(FLAGS_filter);
  const std::string values = absl::GetFlag(FLAGS_filter_values);
  if (name.empty() && !values.empty()) {
    return absl::InvalidArgumentError("--filter_values needs --filter=NAME");
  }
  if (absl::Status status = hrnn::client::SetNamedFilter(name, values, &filter); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--filter_values: ", status.message()));
  }
  return filter;
}

int Recommend(RecommenderClient& client) {
  const int n = absl::GetFlag(FLAGS_n);
  if (n < 1 || n > 500) return UsageError(absl::StrCat("--n=", n, " is outside 1..500"));
  hrnn::v1::GetRecommendationsRequest request;
  request.set_user_id(absl::GetFlag(FLAGS_user));
  request.set_session_id(absl::GetFlag(FLAGS_session));
  request.set_num_results(n);
  request.set_recipe(absl::GetFlag(FLAGS_recipe));
  absl::StatusOr<hrnn::v1::Filter> filter = FilterFromFlags();
  if (!filter.ok()) return UsageError(std::string(filter.status().message()));
  *request.mutable_filter() = *std::move(filter);
  const std::string promotion = absl::GetFlag(FLAGS_promotion);
  const std::string promotion_filter = absl::GetFlag(FLAGS_promotion_filter);
  if (promotion.empty() != promotion_filter.empty()) {
    return UsageError("--promotion and --promotion_filter go together");
  }
  if (!promotion.empty()) {
    hrnn::v1::Promotion* out = request.mutable_promotion();
    out->set_name(promotion);
    out->set_percent_promoted_items(absl::GetFlag(FLAGS_promotion_percent));
    // SetNamedFilter parses NAME + values into a Filter; the promotion takes its two fields.
    hrnn::v1::Filter named;
    if (absl::Status status = hrnn::client::SetNamedFilter(
            promotion_filter, absl::GetFlag(FLAGS_promotion_values), &named);
        !status.ok()) {
      return UsageError(absl::StrCat("--promotion_values: ", status.message()));
    }
    out->set_filter_name(named.name());
    *out->mutable_filter_values() = named.values();
  } else if (!absl::GetFlag(FLAGS_promotion_values).empty()) {
    return UsageError("--promotion_values needs --promotion_filter");
  }
  absl::StatusOr<hrnn::v1::GetRecommendationsResponse> response =
      client.GetRecommendations(request);
  if (!response.ok()) return CallError(response.status());
  return Print(*response, hrnn::client::FormatRecommendations(*response));
}

int Similar(RecommenderClient& client) {
  if (absl::GetFlag(FLAGS_item).empty()) return UsageError("similar needs --item=I");
  const int n = absl::GetFlag(FLAGS_n);
  if (n < 1 || n > 500) return UsageError(absl::StrCat("--n=", n, " is outside 1..500"));
  hrnn::v1::GetSimilarItemsRequest request;
  request.set_item_id(absl::GetFlag(FLAGS_item));
  request.set_num_results(n);
  request.set_user_id(absl::GetFlag(FLAGS_user));
  request.set_session_id(absl::GetFlag(FLAGS_session));
  absl::StatusOr<hrnn::v1::Filter> filter = FilterFromFlags();
  if (!filter.ok()) return UsageError(std::string(filter.status().message()));
  *request.mutable_filter() = *std::move(filter);
  absl::StatusOr<hrnn::v1::GetSimilarItemsResponse> response = client.GetSimilarItems(request);
  if (!response.ok()) return CallError(response.status());
  return Print(*response, hrnn::client::FormatSimilarItems(*response));
}

int Rank(RecommenderClient& client) {
  const std::vector<std::string> items = absl::GetFlag(FLAGS_items);
  if (items.empty()) return UsageError("rank needs --items=I1,I2,...");
  hrnn::v1::GetPersonalizedRankingRequest request;
  request.set_user_id(absl::GetFlag(FLAGS_user));
  request.set_session_id(absl::GetFlag(FLAGS_session));
  for (const std::string& id : items) request.add_input_item_ids(id);
  absl::StatusOr<hrnn::v1::Filter> filter = FilterFromFlags();
  if (!filter.ok()) return UsageError(std::string(filter.status().message()));
  *request.mutable_filter() = *std::move(filter);
  absl::StatusOr<hrnn::v1::GetPersonalizedRankingResponse> response =
      client.GetPersonalizedRanking(request);
  if (!response.ok()) return CallError(response.status());
  return Print(*response, hrnn::client::FormatRanking(*response));
}

int Event(RecommenderClient& client) {
  if (absl::GetFlag(FLAGS_item).empty()) return UsageError("event needs --item=I");
  hrnn::v1::PutEventsRequest request;
  hrnn::v1::Event& event = *request.add_events();
  event.set_user_id(absl::GetFlag(FLAGS_user));
  event.set_item_id(absl::GetFlag(FLAGS_item));
  event.set_session_id(absl::GetFlag(FLAGS_session));
  event.set_event_type(absl::GetFlag(FLAGS_type));
  event.set_timestamp_ms(absl::GetFlag(FLAGS_timestamp_ms));
  event.set_recommendation_id(absl::GetFlag(FLAGS_recommendation_id));
  const double value = absl::GetFlag(FLAGS_value);
  if (!std::isnan(value)) event.set_event_value(value);
  absl::StatusOr<hrnn::v1::PutEventsResponse> response = client.PutEvents(request);
  if (!response.ok()) return CallError(response.status());
  const int printed = Print(*response, hrnn::client::FormatPutEvents(*response));
  if (printed != kExitOk) return printed;
  if (response->rejected_size() > 0) {
    std::cerr << "error: event rejected: " << response->rejected(0).reason() << "\n";
    return kExitError;
  }
  return kExitOk;
}

// Streams `input` in streams of --batch events; see the usage text.
int Replay(RecommenderClient& client, const std::string& input) {
  const int64_t limit = absl::GetFlag(FLAGS_limit);
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  if (limit < 0) return UsageError(absl::StrCat("--limit=", limit, " is negative"));
  if (batch < 0) return UsageError(absl::StrCat("--batch=", batch, " is negative"));
  hrnn::client::EventCsvReaderOptions reader_options;
  reader_options.strict = absl::GetFlag(FLAGS_strict);
  reader_options.on_skipped_line = [](absl::string_view message) {
    std::cerr << message << " (skipped)\n";
  };
  auto reader = hrnn::client::EventCsvReader::Open(input, std::move(reader_options));
  if (!reader.ok()) return CallError(reader.status());

  const absl::Time start = absl::Now();
  hrnn::v1::PutEventsResponse total;
  int64_t sent = 0;
  std::unique_ptr<hrnn::client::EventStream> stream;
  std::vector<int64_t> stream_lines;  // The file line of each event in the open stream.
  // Closes the open stream and adds its answer to `total`.
  auto finish_stream = [&]() -> absl::Status {
    absl::StatusOr<hrnn::v1::PutEventsResponse> response = stream->Finish();
    stream.reset();
    if (!response.ok()) return response.status();
    const int64_t first_index = sent - static_cast<int64_t>(stream_lines.size());
    total.set_accepted(total.accepted() + response->accepted());
    for (const hrnn::v1::RejectedEvent& rejected : response->rejected()) {
      const bool in_range =
          rejected.index() >= 0 && rejected.index() < static_cast<int>(stream_lines.size());
      std::cerr << input << ":" << (in_range ? stream_lines[rejected.index()] : 0)
                << ": rejected: " << rejected.reason() << "\n";
      hrnn::v1::RejectedEvent& out = *total.add_rejected();
      out.set_index(static_cast<int32_t>(first_index + rejected.index()));
      out.set_reason(rejected.reason());
    }
    stream_lines.clear();
    return absl::OkStatus();
  };
  auto stopped = [&](const absl::Status& status) {
    const int code = CallError(status);
    std::cerr << "replay: stopped after " << sent << " events, at " << input << ":"
              << (*reader)->line_number() << "\n";
    return code;
  };

  hrnn::v1::Event event;
  while (limit == 0 || sent < limit) {
    absl::StatusOr<bool> has_event = (*reader)->Next(&event);
    if (!has_event.ok()) return stopped(has_event.status());
    if (!*has_event) break;
    if (stream == nullptr) stream = client.StreamEvents();
    if (absl::Status status = stream->Write(event); !status.ok()) {
      absl::Status finished = finish_stream();
      return stopped(finished.ok() ? status : finished);
    }
    ++sent;
    stream_lines.push_back((*reader)->line_number());
    if (batch > 0 && static_cast<int64_t>(stream_lines.size()) >= batch) {
      if (absl::Status status = finish_stream(); !status.ok()) return stopped(status);
    }
  }
  if (stream != nullptr) {
    if (absl::Status status = finish_stream(); !status.ok()) return stopped(status);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return Print(
      total, absl::StrFormat("replayed %d events from %s in %.2f s (%.0f events/s): accepted %d, "
                             "rejected %d; skipped %d malformed line(s)\n",
                             sent, input, seconds, seconds > 0 ? sent / seconds : 0.0,
                             total.accepted(), total.rejected_size(), (*reader)->skipped_lines()));
}

int ModelInfo(RecommenderClient& client) {
  absl::StatusOr<hrnn::v1::ModelInfo> info = client.GetModelInfo();
  if (!info.ok()) return CallError(info.status());
  return Print(*info, hrnn::client::FormatModelInfo(*info));
}

int Filters(RecommenderClient& client) {
  absl::StatusOr<hrnn::v1::ListFiltersResponse> filters = client.ListFilters();
  if (!filters.ok()) return CallError(filters.status());
  return Print(*filters, hrnn::client::FormatFilters(*filters));
}

int Health(RecommenderClient& client) {
  absl::StatusOr<RecommenderClient::ServingStatus> status =
      client.HealthCheck(absl::GetFlag(FLAGS_service));
  if (!status.ok()) return CallError(status.status());
  grpc::health::v1::HealthCheckResponse response;
  response.set_status(*status);
  const int printed = Print(response, hrnn::client::ServingStatusName(*status) + "\n");
  if (printed != kExitOk) return printed;
  return *status == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk : kExitError;
}

int DeleteUser(RecommenderClient& client) {
  hrnn::v1::DeleteUserRequest request;
  request.set_user_id(absl::GetFlag(FLAGS_user));
  absl::StatusOr<hrnn::v1::DeleteUserResponse> response = client.DeleteUser(request);
  if (!response.ok()) return CallError(response.status());
  return Print(*response, hrnn::client::FormatDeleteUser(*response));
}

int PutItems(RecommenderClient& client) {
  const std::vector<std::string> items = absl::GetFlag(FLAGS_items);
  if (items.empty()) return UsageError("put-items needs --items=I1,I2,...");
  hrnn::v1::PutItemsRequest request;
  for (const std::string& id : items) {
    hrnn::v1::ItemAvailability& item = *request.add_items();
    item.set_item_id(id);
    item.set_available(absl::GetFlag(FLAGS_available));
  }
  absl::StatusOr<hrnn::v1::PutItemsResponse> response = client.PutItems(request);
  if (!response.ok()) return CallError(response.status());
  return Print(*response, hrnn::client::FormatPutItems(*response));
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  hrnn::client::ShowFlagsFrom("cli_main");
  const std::vector<char*> positional = absl::ParseCommandLine(argc, argv);

  if (positional.size() < 2) return UsageError("missing COMMAND");
  const std::string command = positional[1];
  const auto command_flags = CommandFlags().find(command);
  if (command_flags == CommandFlags().end()) {
    return UsageError(absl::StrCat("unknown command \"", command, "\""));
  }
  std::string input = absl::GetFlag(FLAGS_input);
  if (command == "replay" && positional.size() == 3 && input.empty()) {
    input = positional[2];  // `replay FILE` is `replay --input=FILE`.
  } else if (positional.size() > 2) {
    const size_t extra = command == "replay" && input.empty() ? 3 : 2;
    return UsageError(absl::StrCat("unexpected argument \"", positional[extra], "\""));
  }
  // A flag of another command is a mistake, not something to ignore.
  for (const std::string& name : AllCommandFlags()) {
    if (command_flags->second.count(name) > 0) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag != nullptr && flag->CurrentValue() != flag->DefaultValue()) {
      return UsageError(absl::StrCat("--", name, " does not apply to ", command));
    }
  }
  if (command_flags->second.count("user") > 0) {
    const std::string user = absl::GetFlag(FLAGS_user);
    if (user.empty() && command != "similar") {
      return UsageError(absl::StrCat(command, " needs --user=U"));
    }
    if (user.size() > kMaxUserIdBytes) {
      return UsageError(absl::StrCat("--user is ", user.size(), " bytes, over the ",
                                     kMaxUserIdBytes, " a server can accept"));
    }
    const size_t metadata_bytes = hrnn::client::UserIdMetadataValue(user).size();
    if (metadata_bytes > kMaxUserIdMetadataBytes) {
      return UsageError(absl::StrCat("--user is ", metadata_bytes, " bytes as ",
                                     hrnn::client::kUserIdMetadataKey, " metadata, over the ",
                                     kMaxUserIdMetadataBytes, " that fit in a call's metadata"));
    }
  }
  if (command == "replay" && input.empty()) return UsageError("replay needs --input=FILE.csv");

  hrnn::client::ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  if (options.target.empty()) return UsageError("--target=HOST:PORT is required");
  options.deadline = absl::GetFlag(FLAGS_deadline);
  options.stream_deadline = absl::GetFlag(FLAGS_stream_deadline);
  options.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  absl::StatusOr<std::unique_ptr<RecommenderClient>> client =
      RecommenderClient::Create(std::move(options));
  if (!client.ok()) return UsageError(std::string(client.status().message()));

  if (command == "recommend") return Recommend(**client);
  if (command == "rank") return Rank(**client);
  if (command == "similar") return Similar(**client);
  if (command == "event") return Event(**client);
  if (command == "replay") return Replay(**client, input);
  if (command == "model-info") return ModelInfo(**client);
  if (command == "filters") return Filters(**client);
  if (command == "health") return Health(**client);
  if (command == "delete-user") return DeleteUser(**client);
  return PutItems(**client);
}
