// RequestHandlers: construction, shared helpers and the small administrative calls. The
// recommendation and event calls are in recommendation_handlers.cc and event_handlers.cc.
#include "server/request_handlers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "server/event_application.h"
#include "server/internal/request_validation.h"

namespace hrnn {

// Most items in one PutItems call.
constexpr int kMaxItemsPerPutItems = 10000;

RequestHandlers::RequestHandlers(const ServerConfig* config, const ServingModelHandle* model,
                                 CatalogueUpdater* catalogue, UserStateStore* store,
                                 const Clock* clock, ServerMetrics* metrics, EventLog* log)
    : config_(*config),
      model_(*model),
      catalogue_(*catalogue),
      store_(*store),
      clock_(*clock),
      metrics_(metrics),
      log_(log),
      recent_(config->attribution_window_ms > 0
                  ? std::make_unique<RecentRecommendations>(config->attribution_window_ms,
                                                            config->attribution_max_users)
                  : nullptr) {}

absl::StatusOr<std::shared_ptr<const ServingModel>> RequestHandlers::CurrentModel() const {
  std::shared_ptr<const ServingModel> model = model_.Get();
  if (model == nullptr) {
    return absl::UnavailableError("no model loaded yet (see the server log for why)");
  }
  return model;
}

UserState RequestHandlers::ReadState(const ServingModel& model, const std::string& user_id,
                                     int64_t now_ms, bool* known) const {
  std::optional<UserStateStore::Versioned> held = store_.Get(user_id, now_ms);
  *known = held.has_value() && model.Owns(held->state);
  return *known ? std::move(held->state) : model.NewUserState();
}

absl::StatusOr<uint64_t> RequestHandlers::ApplyItems(const v1::PutItemsRequest& request,
                                                     v1::PutItemsResponse* response) const {
  HRNN_RETURN_IF_ERROR(CurrentModel().status());
  if (request.items_size() == 0 || request.items_size() > kMaxItemsPerPutItems) {
    return absl::InvalidArgumentError(absl::StrCat("items: ", request.items_size(),
                                                   " items, expected 1..", kMaxItemsPerPutItems));
  }
  std::vector<AvailabilityChange> changes;
  changes.reserve(request.items_size());
  for (int i = 0; i < request.items_size(); ++i) {
    const v1::ItemAvailability& item = request.items(i);
    HRNN_RETURN_IF_ERROR(internal::ValidateId(absl::StrCat("items[", i, "].item_id"),
                                              item.item_id(), config_.max_id_bytes,
                                              /*required=*/true));
    changes.push_back({item.item_id(), item.available()});
  }
  HRNN_ASSIGN_OR_RETURN(AvailabilityUpdate update, replicator_ != nullptr
                                                       ? replicator_->Submit(changes)
                                                       : catalogue_.Apply(changes));
  for (std::string& id : update.unknown_item_ids) response->add_unknown_item_ids(std::move(id));
  response->set_updated(update.updated);
  return update.wait_seq;
}

absl::Status RequestHandlers::PutItems(const v1::PutItemsRequest& request,
                                       v1::PutItemsResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(const uint64_t seq, ApplyItems(request, response));
  return WaitDurable(seq);
}

absl::StatusOr<uint64_t> RequestHandlers::ForgetUser(const v1::DeleteUserRequest& request,
                                                     v1::DeleteUserResponse* response) const {
  HRNN_RETURN_IF_ERROR(internal::ValidateId("user_id", request.user_id(), config_.max_id_bytes,
                                            /*required=*/true));
  if (log_ != nullptr && !log_->status().ok()) {
    return absl::UnavailableError(absl::StrCat("event log: ", log_->status().message()));
  }
  uint64_t seq = 0;
  // The tombstone is appended under the user's shard lock, ordered with the user's events.
  response->set_deleted(store_.Erase(request.user_id(), [&] {
    if (log_ == nullptr) return;
    EventRecord tombstone;
    tombstone.kind = EventRecord::Kind::kDeleteUser;
    tombstone.timestamp_ms = clock_.NowMs();
    tombstone.user_id = request.user_id();
    seq = log_->Append(&tombstone);
  }));
  if (const std::shared_ptr<const ServingModel> model = model_.Get(); model != nullptr) {
    ForgetLiveRecipeUser(*model, request.user_id());
  }
  if (recent_ != nullptr) recent_->Forget(request.user_id());
  return seq;
}

absl::Status RequestHandlers::DeleteUser(const v1::DeleteUserRequest& request,
                                         v1::DeleteUserResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(const uint64_t seq, ForgetUser(request, response));
  return WaitDurable(seq);
}

absl::Status RequestHandlers::ListFilters(const v1::ListFiltersRequest& /*request*/,
                                          v1::ListFiltersResponse* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  for (const ServingModel::ServedFilter& filter : model->filters) {
    v1::NamedFilterInfo* info = response->add_filters();
    info->set_name(filter.program.name());
    info->set_expression(filter.text);
    for (const ItemFilterProgram::Parameter& parameter : filter.program.parameters()) {
      v1::FilterParameterInfo* out = info->add_parameters();
      out->set_name(parameter.name);
      out->set_numeric(parameter.numeric);
    }
  }
  return absl::OkStatus();
}

absl::Status RequestHandlers::GetModelInfo(const v1::GetModelInfoRequest& /*request*/,
                                           v1::ModelInfo* response) const {
  HRNN_ASSIGN_OR_RETURN(std::shared_ptr<const ServingModel> model, CurrentModel());
  const ModelConfig& config = model->model().config();
  response->set_name(model->name);
  response->set_version(model->version);
  response->set_mode(std::string(ModelModeName(config.mode)));
  response->set_num_items(config.num_items);
  response->set_hidden_size(config.hidden_size);
  response->set_user_hidden_size(config.mode == ModelMode::kSessionOnly ? 0
                                                                        : config.user_hidden_size);
  response->set_loss(config.loss);
  response->set_data_fingerprint(config.data_fingerprint);
  response->set_created_at(config.created_at);
  response->set_loaded_at_ms(model->loaded_at_ms);
  response->set_item_table(std::string(ElementTypeName(model->network->options().item_table_type)));
  response->set_unavailable_items(model->availability->unavailable_count());
  for (const AttributeField& field : model->attributes->fields()) {
    v1::ItemField* out = response->add_item_fields();
    out->set_name(field.name);
    out->set_kind(std::string(AttributeKindName(field.kind)));
  }
  response->set_items_with_attributes(model->items_with_attributes);
  for (const auto& [name, value] : config.metrics) (*response->mutable_metrics())[name] = value;
  for (RecipeKind kind : AllRecipeKinds()) {
    if (model->Serves(kind)) response->add_recipes(std::string(RecipeKindName(kind)));
  }
  response->set_default_recipe(std::string(RecipeKindName(model->default_recipe())));
  if (model->recipes != nullptr) {
    const RecipeSettings& settings = model->recipes->settings();
    for (const auto& [name, weight] : settings.blend) {
      (*response->mutable_blend_weights())[name] = weight;
    }
    // Each component's settings, as hrnn-train chose them on validation.
    auto& metrics = *response->mutable_metrics();
    metrics["sknn.k"] = settings.sknn.k;
    metrics["sknn.sample_size"] = settings.sknn.sample_size;
    metrics["sr.max_distance"] = settings.sr.max_distance;
    metrics["personal.half_life_seconds"] = settings.personal.half_life_seconds;  // inf: none.
    metrics["personal.session_weight"] = settings.personal.session_weight;
    metrics["trending.half_life_seconds"] = settings.trending.half_life_seconds;
    metrics["similar_items.cooccurrence"] = settings.similar_items.cooccurrence_weight;
    metrics["similar_items.hrnn"] = settings.similar_items.hrnn_weight;
    for (const auto& [name, figures] : settings.validation) {
      (*response->mutable_metrics())[absl::StrCat("validation.", name, ".recall@20")] =
          figures.recall_at_20;
      (*response->mutable_metrics())[absl::StrCat("validation.", name, ".mrr@20")] =
          figures.mrr_at_20;
    }
  }
  return absl::OkStatus();
}

}  // namespace hrnn
