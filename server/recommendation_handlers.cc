// RequestHandlers::GetRecommendations, GetSimilarItems and GetPersonalizedRanking: validate,
// read the user's state (a copy; no lock is held while scoring), map the request to the core
// pipeline (core/serving/recommendation_pipeline.h, similar_items.h), map its items back.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/serving/named_filter.h"
#include "core/serving/recommendation_id.h"
#include "core/serving/similar_items.h"
#include "server/internal/request_validation.h"
#include "server/request_handlers.h"

namespace hrnn {
namespace {

constexpr int kDefaultNumResults = 25;
constexpr int kMaxNumResults = 500;

// The proto filter in model indices (ids the model does not know are ignored).
ItemFilter ToItemFilter(const ServingModel& model, const v1::Filter& filter) {
  ItemFilter out;
  out.exclude_session_items = filter.exclude_session_items();
  out.exclude_user_history = filter.exclude_user_history();
  out.exclude_purchased = filter.exclude_purchased();
  for (const std::string& id : filter.exclude_item_ids()) {
    if (std::optional<int64_t> index = model.items().Find(id)) out.exclude_items.push_back(*index);
  }
  if (filter.include_item_ids_size() > 0) {
    out.include_items.emplace();
    for (const std::string& id : filter.include_item_ids()) {
      if (std::optional<int64_t> index = model.items().Find(id)) {
        out.include_items->push_back(*index);
      }
    }
  }
  return out;
}

// `requested` (0: the default) within 1..kMaxNumResults, or INVALID_ARGUMENT naming num_results.
absl::StatusOr<int> NumResults(int32_t requested) {
  const int num_results = requested == 0 ? kDefaultNumResults : requested;
  if (num_results < 1 || num_results > kMaxNumResults) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_results: ", requested, " is outside 1..", kMaxNumResults));
  }
  return num_results;
}

// Appends `top`'s items; those at `promoted_ranks` (ascending positions in `top`) carry the
// promotion's name.
template <typename Response>
void AppendItems(const ServingModel& model, const std::vector<ScoredItem>& top, Response* response,
                 const std::vector<int>& promoted_ranks = {}, const std::string& promotion = "") {
  response->mutable_items()->Reserve(static_cast<int>(top.size()));
  size_t next_promoted = 0;
  for (int rank = 0; rank < static_cast<int>(top.size()); ++rank) {
    v1::ScoredItem* out = response->add_items();
    out->set_item_id(model.items().id(top[rank].index));
    out->set_score(top[rank].score);
    if (next_promoted < promoted_ranks.size() && promoted_ranks[next_promoted] == rank) {
      out->set_promotion(promotion);
      ++next_promoted;
    }
  }
}

// The fields every recommendation response carries: a fresh id (unless it has one), the model
// version and which state answered.
template <typename Response>
void StampResponse(const ServingModel& model, AnswerState answer_state, Response* response) {
  if (response->recommendation_id().empty()) {
    response->set_recommendation_id(NewRecommendationId());
  }
  response->set_model_version(model.version);
  response->set_state(std::string(AnswerStateName(answer_state)));
}

// The experiment and arm an answer carries (GetSimilarItems answers are in none).
const std::string& ExperimentOf(const v1::GetRecommendationsResponse& r) { return r.experiment(); }
const std::string& ArmOf(const v1::GetRecommendationsResponse& r) { return r.arm(); }
const std::string& ExperimentOf(const v1::GetSimilarItemsResponse&) {
  static const std::string* const kNone = new std::string();
  return *kNone;
}
const std::string& ArmOf(const v1::GetSimilarItemsResponse& r) { return ExperimentOf(r); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

template <typename Response>
void RequestHandlers::RecordServedRecommendation(const std::string& user_id,
                                                 const std::string& session_id,
                                                 absl::string_view asked_item,
                                                 const Response& response) const {
  const int64_t now_ms = clock_.NowMs();
  if (recent_ != nullptr && !user_id.empty()) {
    thread_local std::vector<absl::string_view> items;
    items.clear();
    for (const v1::ScoredItem& item : response.items()) items.push_back(item.item_id());
    const size_t arm = ArmIndex(ExperimentOf(response), ArmOf(response));
    recent_->Remember(
        user_id, now_ms,
        arm == ServerMetrics::kNoArm ? kOutsideExperimentTag : static_cast<uint32_t>(arm), items);
  }
  if (log_ == nullptr || !config_.record_recommendations) return;
  EventRecord record;
  record.kind = EventRecord::Kind::kRecommendation;
  record.timestamp_ms = now_ms;
  record.user_id = user_id;
  record.session_id = session_id;
  record.item_id = std::string(asked_item);
  record.recommendation_id = response.recommendation_id();
  record.recipe = response.recipe();
  record.model_version = absl::StrCat(response.model_version());
  record.experiment = ExperimentOf(response);
  record.arm = ArmOf(response);
  record.item_ids.reserve(response.items_size());
  for (const v1::ScoredItem& item : response.items()) record.item_ids.push_back(item.item_id());
  // Not waited for: the log's background thread writes (and syncs) it within its interval. A
  // failed log refuses it (Append returns 0); the answer is still given.
  log_->Append(&record);
}

absl::Status RequestHandlers::ValidateRankingInput(
    const v1::GetPersonalizedRankingRequest& request) const {
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
  return absl::OkStatus();
}

RequestHandlers::NamedFilterFields RequestHandlers::FieldsOf(const v1::Filter& filter) {
  return {filter.name(), filter.values(), "filter.name", "filter.values"};
}

RequestHandlers::NamedFilterFields RequestHandlers::FieldsOf(const v1::Promotion& promotion) {
  return {promotion.filter_name(), promotion.filter_values(), "promotion.filter_name",
          "promotion.filter_values"};
}

absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> RequestHandlers::NamedFilterMask(
    const ServingModel& model, const NamedFilterFields& filter, const UserState* state,
    std::optional<int64_t> current_item) const {
  if (filter.name.empty()) return nullptr;
  const ItemFilterProgram* program = model.FindFilter(filter.name);
  if (program == nullptr) {
    std::vector<std::string> names;
    for (const ServingModel::ServedFilter& known : model.filters) {
      names.push_back(known.program.name());
    }
    return absl::InvalidArgumentError(
        absl::StrCat(filter.name_field, ": no filter named \"", filter.name, "\" (",
                     names.empty() ? "the server has none: see --filters_file"
                                   : absl::StrCat("the server has: ", absl::StrJoin(names, ", ")),
                     ")"));
  }
  FilterParameterValues values;
  for (const auto& [name, listed] : filter.values) {
    values[name].assign(listed.values().begin(), listed.values().end());
  }
  absl::StatusOr<std::shared_ptr<const ItemAvailability::Mask>> mask =
      EvaluateNamedFilter(model, *program, values, state, current_item,
                          [this](absl::string_view type) { return config_.IsPurchase(type); });
  if (!mask.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(filter.values_field, ": ", mask.status().message()));
  }
  return mask;
}

absl::StatusOr<RequestHandlers::RecommendationCall> RequestHandlers::BeginRecommendationCall(
    const std::string& user_id, const std::string& session_id, const v1::Filter& filter,
    const google::protobuf::Map<std::string, std::string>& context,
    absl::Status call_fields) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  HRNN_RETURN_IF_ERROR(internal::ValidateCaller(user_id, session_id, config_.max_id_bytes));
  HRNN_RETURN_IF_ERROR(call_fields);
  HRNN_RETURN_IF_ERROR(internal::ValidateFilter(filter, config_.max_id_bytes));
  HRNN_RETURN_IF_ERROR(internal::ValidateContext(context, config_.max_id_bytes));
  RecommendationCall call;
  call.request.now_ms = clock_.NowMs();
  call.request.session_id = session_id;
  call.request.user_id = user_id;
  call.request.filter = ToItemFilter(*model, filter);
  call.state = ReadState(*model, user_id, call.request.now_ms, &call.known);
  HRNN_ASSIGN_OR_RETURN(call.request.filter.excluded_mask,
                        NamedFilterMask(*model, FieldsOf(filter), &call.state, std::nullopt));
  call.model = std::move(model);
  return call;
}

absl::StatusOr<std::optional<CataloguePass>> RequestHandlers::PrepareRecommendations(
    const v1::GetRecommendationsRequest& request, v1::GetRecommendationsResponse* response) const {
  const absl::StatusOr<int> num_results = NumResults(request.num_results());
  HRNN_ASSIGN_OR_RETURN(
      RecommendationCall call,
      BeginRecommendationCall(request.user_id(), request.session_id(), request.filter(),
                              request.context(), num_results.status()));
  call.request.num_results = *num_results;
  size_t served_arm = ServerMetrics::kNoArm;
  if (!request.recipe().empty()) {
    absl::StatusOr<RecipeKind> kind = ParseRecipeKind(request.recipe());
    if (!kind.ok())
      return absl::InvalidArgumentError(absl::StrCat("recipe: ", kind.status().message()));
    HRNN_ASSIGN_OR_RETURN(call.request.recipe, ResolveRecipe(*call.model, *kind));
  } else if (experiment_ != nullptr) {
    // The user's arm; a version that does not serve the arm's recipe answers with its default.
    const ExperimentArm& arm = AssignArm(*experiment_, request.user_id());
    if (call.model->Serves(arm.recipe)) call.request.recipe = arm.recipe;
    response->set_experiment(experiment_->name);
    response->set_arm(arm.name);
    served_arm = static_cast<size_t>(&arm - experiment_->arms.data());
  }
  // The id comes first: a promotion's layout is drawn from it. In an experiment it carries the
  // arm, to which the events sent back with it are attributed.
  response->set_recommendation_id(
      served_arm == ServerMetrics::kNoArm
          ? NewRecommendationId()
          : RecommendationIdWithArm(NewRecommendationId(), experiment_->name, response->arm()));
  if (request.has_promotion()) {
    const v1::Promotion& promotion = request.promotion();
    HRNN_RETURN_IF_ERROR(internal::ValidatePromotion(promotion, config_.max_id_bytes));
    PromotionRequest& promoted = call.request.promotion.emplace();
    promoted.name = promotion.name();
    promoted.percent = promotion.percent_promoted_items();
    promoted.placement_seed = PromotionSeed(response->recommendation_id());
    HRNN_ASSIGN_OR_RETURN(promoted.excluded_mask, NamedFilterMask(*call.model, FieldsOf(promotion),
                                                                  &call.state, std::nullopt));
  }
  PreparedRecommendation prepared =
      PrepareRecommendation(call.model, call.state, call.known, call.request, config_.scoring);
  StampResponse(*call.model, prepared.answer_state, response);
  response->set_recipe(std::string(RecipeKindName(prepared.recipe)));
  response->set_backfilled(prepared.backfilled);
  if (metrics_ != nullptr) metrics_->RecordServed(served_arm);
  if (prepared.items.has_value()) {
    AppendItems(*call.model, *prepared.items, response, prepared.promoted_ranks,
                request.promotion().name());
    RecordServedRecommendation(request.user_id(), request.session_id(), "", *response);
    return std::nullopt;
  }
  return std::move(prepared.pass);
}

void RequestHandlers::CompleteRecommendations(const v1::GetRecommendationsRequest& request,
                                              CataloguePass& pass, absl::Span<const float> scores,
                                              v1::GetRecommendationsResponse* response) const {
  RankedItems ranked = FinishRecommendation(pass, scores);
  AppendItems(*pass.model, ranked.items, response, ranked.promoted_ranks, ranked.promotion);
  response->set_backfilled(response->backfilled() + ranked.backfilled);
  RecordServedRecommendation(request.user_id(), request.session_id(), "", *response);
}

absl::Status RequestHandlers::GetRecommendations(const v1::GetRecommendationsRequest& request,
                                                 v1::GetRecommendationsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::optional<CataloguePass> pass,
                        PrepareRecommendations(request, response));
  if (!pass.has_value()) return absl::OkStatus();
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> scores(pass->model->network->num_items());
  ScoreCatalogue(*pass, absl::MakeSpan(scores));
  CompleteRecommendations(request, *pass, scores, response);
  if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));
  return absl::OkStatus();
}

absl::Status RequestHandlers::ValidateSimilarItemsRequest(
    const v1::GetSimilarItemsRequest& request) const {
  HRNN_RETURN_IF_ERROR(internal::ValidateId("item_id", request.item_id(), config_.max_id_bytes,
                                            /*required=*/true));
  const bool has_user = !request.user_id().empty();
  if (has_user) {
    HRNN_RETURN_IF_ERROR(
        internal::ValidateCaller(request.user_id(), request.session_id(), config_.max_id_bytes));
  } else if (!request.session_id().empty()) {
    return absl::InvalidArgumentError("session_id: needs user_id (whose session it is)");
  }
  HRNN_RETURN_IF_ERROR(NumResults(request.num_results()).status());
  HRNN_RETURN_IF_ERROR(internal::ValidateFilter(request.filter(), config_.max_id_bytes));
  if (!has_user) {
    const v1::Filter& filter = request.filter();
    for (auto [name, on] :
         {std::pair<const char*, bool>{"exclude_session_items", filter.exclude_session_items()},
          {"exclude_user_history", filter.exclude_user_history()},
          {"exclude_purchased", filter.exclude_purchased()}}) {
      if (on) {
        return absl::InvalidArgumentError(
            absl::StrCat("filter.", name, ": needs user_id (whose items to exclude)"));
      }
    }
  }
  return internal::ValidateContext(request.context(), config_.max_id_bytes);
}

absl::StatusOr<std::optional<CataloguePass>> RequestHandlers::PrepareSimilarItems(
    const v1::GetSimilarItemsRequest& request, v1::GetSimilarItemsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  HRNN_RETURN_IF_ERROR(ValidateSimilarItemsRequest(request));
  const std::optional<int64_t> item = model->items().Find(request.item_id());
  if (!item.has_value()) {
    return absl::NotFoundError(absl::StrCat("item_id: \"", request.item_id(),
                                            "\" is not in the catalogue of model version ",
                                            model->version));
  }
  SimilarItemsRequest similar;
  similar.item = *item;
  similar.num_results = *NumResults(request.num_results());
  similar.now_ms = clock_.NowMs();
  similar.session_id = request.session_id();
  similar.filter = ToItemFilter(*model, request.filter());
  bool known = false;
  const UserState state = request.user_id().empty()
                              ? model->NewUserState()
                              : ReadState(*model, request.user_id(), similar.now_ms, &known);
  HRNN_ASSIGN_OR_RETURN(similar.filter.excluded_mask,
                        NamedFilterMask(*model, FieldsOf(request.filter()), &state, *item));
  PreparedRecommendation prepared =
      ::hrnn::PrepareSimilarItems(model, state, known, similar, config_.scoring);
  response->set_recommendation_id(NewRecommendationId());
  response->set_model_version(model->version);
  response->set_recipe(std::string(RecipeKindName(prepared.pass.recipe)));
  return std::move(prepared.pass);
}

void RequestHandlers::CompleteSimilarItems(const v1::GetSimilarItemsRequest& request,
                                           CataloguePass& pass, absl::Span<const float> scores,
                                           v1::GetSimilarItemsResponse* response) const {
  RankedItems ranked = FinishRecommendation(pass, scores);
  AppendItems(*pass.model, ranked.items, response);
  response->set_backfilled(ranked.backfilled);
  RecordServedRecommendation(request.user_id(), request.session_id(), request.item_id(), *response);
}

absl::Status RequestHandlers::GetSimilarItems(const v1::GetSimilarItemsRequest& request,
                                              v1::GetSimilarItemsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::optional<CataloguePass> pass, PrepareSimilarItems(request, response));
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> scores(pass->model->network->num_items());
  ScoreCatalogue(*pass, absl::MakeSpan(scores));
  CompleteSimilarItems(request, *pass, scores, response);
  if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetPersonalizedRanking(
    const v1::GetPersonalizedRankingRequest& request,
    v1::GetPersonalizedRankingResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(
      RecommendationCall call,
      BeginRecommendationCall(request.user_id(), request.session_id(), request.filter(),
                              request.context(), ValidateRankingInput(request)));
  std::vector<int64_t> candidates;
  std::vector<const std::string*> unknown;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& id : request.input_item_ids()) {
    if (!seen.insert(id).second) continue;
    if (std::optional<int64_t> index = call.model->items().Find(id)) {
      candidates.push_back(*index);
    } else {
      unknown.push_back(&id);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  HRNN_ASSIGN_OR_RETURN(Recommendation ranked, RankCandidates(*call.model, call.state, call.known,
                                                              call.request, candidates));
  if (metrics_ != nullptr) metrics_->RecordScoring(SecondsSince(start));
  StampResponse(*call.model, ranked.answer_state, response);

  for (const ScoredItem& item : ranked.items) {
    v1::RankedItem* out = response->add_items();
    out->set_item_id(call.model->items().id(item.index));
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
