// RequestHandlers::GetRecommendations and GetPersonalizedRanking: validate, read the user's
// state (a copy; no lock is held while scoring), apply the filters, score, answer.
#include <chrono>
#include <cstdio>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "server/internal/request_validation.h"
#include "server/request_handlers.h"

namespace hrnn {
namespace {

constexpr int kDefaultNumResults = 25;
constexpr int kMaxNumResults = 500;

// 128 random bits as 32 hex digits.
std::string NewRecommendationId() {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  char buffer[33];
  std::snprintf(buffer, sizeof(buffer), "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buffer;
}

// The exclusions a filter asks for (unknown ids are ignored).
ItemExclusions FilterExclusions(const ServingModel& model, const UserState& state,
                                bool session_live, const v1::Filter& filter,
                                const ItemAvailability::Mask* unavailable) {
  ItemExclusions exclusions(unavailable);
  if (filter.exclude_session_items() && session_live) {
    for (int32_t item : state.session_items) exclusions.Add(item);
  }
  if (filter.exclude_user_history()) {
    for (int32_t item : state.user_items) exclusions.Add(item);
    if (session_live) {
      for (int32_t item : state.session_items) exclusions.Add(item);
    }
  }
  if (filter.exclude_purchased()) {
    for (int32_t item : state.purchased_items) exclusions.Add(item);
  }
  for (const std::string& id : filter.exclude_item_ids()) {
    if (std::optional<int64_t> index = model.items().Find(id)) exclusions.Add(*index);
  }
  exclusions.Finalize();
  return exclusions;
}

void AppendItems(const ServingModel& model, const std::vector<ScoredItem>& top,
                 v1::GetRecommendationsResponse* response) {
  response->mutable_items()->Reserve(static_cast<int>(top.size()));
  for (const ScoredItem& item : top) {
    v1::ScoredItem* out = response->add_items();
    out->set_item_id(model.items().id(item.index));
    out->set_score(item.score);
  }
}

const char* StateName(bool known, bool session_live) {
  if (!known) return "new_user";
  return session_live ? "session" : "user";
}

// The fields every recommendation response carries: a fresh id, the model version and which
// state answered.
template <typename Response>
void StampResponse(const ServingModel& model, bool known, bool session_live, Response* response) {
  response->set_recommendation_id(NewRecommendationId());
  response->set_model_version(model.version);
  response->set_state(StateName(known, session_live));
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::StatusOr<std::optional<PendingRecommendation>> RequestHandlers::PrepareRecommendations(
    const v1::GetRecommendationsRequest& request, v1::GetRecommendationsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  HRNN_RETURN_IF_ERROR(
      internal::ValidateCaller(request.user_id(), request.session_id(), config_.max_id_bytes));
  const int num_results = request.num_results() == 0 ? kDefaultNumResults : request.num_results();
  if (num_results < 1 || num_results > kMaxNumResults) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_results: ", request.num_results(), " is outside 1..", kMaxNumResults));
  }
  HRNN_RETURN_IF_ERROR(internal::ValidateFilter(request.filter(), config_.max_id_bytes));
  HRNN_RETURN_IF_ERROR(internal::ValidateContext(request.context(), config_.max_id_bytes));

  const int64_t now_ms = clock_.NowMs();
  bool known = false;
  const UserState state = ReadState(*model, request.user_id(), now_ms, &known);
  const Recommender& recommender = *model->recommender;
  const bool session_live = recommender.SessionLive(state, now_ms, request.session_id());
  StampResponse(*model, known, session_live, response);

  PendingRecommendation pending;
  pending.num_results = num_results;
  pending.unavailable = model->availability->Snapshot();
  pending.exclusions =
      FilterExclusions(*model, state, session_live, request.filter(), pending.unavailable.get());
  if (request.filter().include_item_ids_size() > 0) {
    // Only the listed items: score them directly, no catalogue pass.
    std::vector<int64_t> candidates;
    absl::flat_hash_set<int64_t> seen;
    for (const std::string& id : request.filter().include_item_ids()) {
      std::optional<int64_t> index = model->items().Find(id);
      if (index && !pending.exclusions.Contains(*index) && seen.insert(*index).second) {
        candidates.push_back(*index);
      }
    }
    HRNN_ASSIGN_OR_RETURN(std::vector<ScoredItem> top,
                          recommender.Rank(state, now_ms, candidates, request.session_id()));
    if (static_cast<int>(top.size()) > num_results) top.resize(num_results);
    AppendItems(*model, top, response);
    return std::nullopt;
  }
  pending.query.resize(model->network->hidden_size());
  recommender.QueryState(state, now_ms, request.session_id(), pending.query.data());
  pending.model = std::move(model);
  return pending;
}

void RequestHandlers::CompleteRecommendations(PendingRecommendation& pending,
                                              absl::Span<const float> scores,
                                              v1::GetRecommendationsResponse* response) const {
  const std::vector<ScoredItem> top =
      config_.scoring == "naive"
          ? TopKReference(scores, pending.num_results, std::move(pending.exclusions))
          : TopK(scores, pending.num_results, std::move(pending.exclusions));
  AppendItems(*pending.model, top, response);
}

absl::Status RequestHandlers::GetRecommendations(const v1::GetRecommendationsRequest& request,
                                                 v1::GetRecommendationsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::optional<PendingRecommendation> pending,
                        PrepareRecommendations(request, response));
  if (!pending.has_value()) return absl::OkStatus();
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> scores(pending->model->network->num_items());
  if (config_.scoring == "naive") {
    pending->model->network->ScoreNaive(pending->query.data(), scores.data());
  } else {
    pending->model->network->Score(pending->query.data(), scores.data());
  }
  CompleteRecommendations(*pending, scores, response);
  if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetPersonalizedRanking(
    const v1::GetPersonalizedRankingRequest& request,
    v1::GetPersonalizedRankingResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  HRNN_RETURN_IF_ERROR(
      internal::ValidateCaller(request.user_id(), request.session_id(), config_.max_id_bytes));
  const int count = request.input_item_ids_size();
  if (count < 1 || count > internal::kMaxListedItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("input_item_ids: ", count, " ids, expected 1..", internal::kMaxListedItems));
  }
  for (int i = 0; i < count; ++i) {
    HRNN_RETURN_IF_ERROR(internal::ValidateId(absl::StrCat("input_item_ids[", i, "]"),
                                              request.input_item_ids(i), config_.max_id_bytes,
                                              /*required=*/true));
  }
  HRNN_RETURN_IF_ERROR(internal::ValidateFilter(request.filter(), config_.max_id_bytes));
  HRNN_RETURN_IF_ERROR(internal::ValidateContext(request.context(), config_.max_id_bytes));

  const int64_t now_ms = clock_.NowMs();
  bool known = false;
  const UserState state = ReadState(*model, request.user_id(), now_ms, &known);
  const Recommender& recommender = *model->recommender;
  const bool session_live = recommender.SessionLive(state, now_ms, request.session_id());
  StampResponse(*model, known, session_live, response);
  // Ranking is an explicit request about these items: availability does not remove them, the
  // filter's exclusions do.
  ItemExclusions exclusions =
      FilterExclusions(*model, state, session_live, request.filter(), /*unavailable=*/nullptr);

  std::vector<int64_t> candidates;
  std::vector<const std::string*> unknown;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& id : request.input_item_ids()) {
    if (!seen.insert(id).second) continue;
    std::optional<int64_t> index = model->items().Find(id);
    if (!index.has_value()) {
      unknown.push_back(&id);
    } else if (!exclusions.Contains(*index)) {
      candidates.push_back(*index);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  HRNN_ASSIGN_OR_RETURN(std::vector<ScoredItem> ranked,
                        recommender.Rank(state, now_ms, candidates, request.session_id()));
  if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));

  for (const ScoredItem& item : ranked) {
    v1::RankedItem* out = response->add_items();
    out->set_item_id(model->items().id(item.index));
    out->set_score(item.score);
    out->set_known(true);
  }
  for (const std::string* id : unknown) {
    v1::RankedItem* out = response->add_items();
    out->set_item_id(*id);
    out->set_known(false);
  }
  return absl::OkStatus();
}

}  // namespace hrnn
