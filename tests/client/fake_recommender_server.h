// FakeRecommenderServer: an in-process hrnn.v1.Recommender and grpc.health.v1.Health server on
// 127.0.0.1 (a free port) for client tests. It records the hrnn-user-id metadata, events and
// request filters it receives and can be told to fail the next calls or answer slowly. It serves
// two named filters (Filters()). Thread-safe.
#ifndef HRNN_TESTS_CLIENT_FAKE_RECOMMENDER_SERVER_H_
#define HRNN_TESTS_CLIENT_FAKE_RECOMMENDER_SERVER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/server_context.h"
#include "hrnn/v1/recommender.grpc.pb.h"

namespace hrnn::testing {

class FakeRecommenderServer {
 public:
  // One call as the fake saw it.
  struct Call {
    std::string method;                     // E.g. "GetRecommendations".
    std::optional<std::string> user_id_md;  // The hrnn-user-id metadata, if sent.
  };

  FakeRecommenderServer() : recommender_(this), health_(this) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&recommender_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
  }
  ~FakeRecommenderServer() { server_->Shutdown(absl::ToChronoTime(absl::Now())); }

  // "127.0.0.1:PORT"; PORT is 0 when the server failed to start.
  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }
  int port() const { return port_; }

  // The next `count` calls (of any method) fail with `code` and `message`.
  void FailNext(int count, grpc::StatusCode code, const std::string& message) {
    absl::MutexLock lock(&mu_);
    fail_count_ = count;
    fail_status_ = grpc::Status(code, message);
  }
  // Every call sleeps this long before answering.
  void SetDelay(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    delay_ = delay;
  }
  // What Health/Check answers for `service` (others: NOT_FOUND). "" is SERVING by default.
  void SetServingStatus(const std::string& service,
                        grpc::health::v1::HealthCheckResponse::ServingStatus status) {
    absl::MutexLock lock(&mu_);
    health_status_[service] = status;
  }

  std::vector<Call> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<hrnn::v1::Event> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // The filter of the last GetRecommendations, GetSimilarItems or GetPersonalizedRanking call
  // (nullopt before any).
  std::optional<hrnn::v1::Filter> last_filter() const {
    absl::MutexLock lock(&mu_);
    return last_filter_;
  }

  // The promotion of the last GetRecommendations call (nullopt when it had none).
  std::optional<hrnn::v1::Promotion> last_promotion() const {
    absl::MutexLock lock(&mu_);
    return last_promotion_;
  }

  // What ListFilters answers: "by_color(COLORS): ..." and "cheaper_than(MAX_PRICE:number, COLORS):
  // ...". A request naming another filter fails with INVALID_ARGUMENT.
  static hrnn::v1::ListFiltersResponse Filters() {
    hrnn::v1::ListFiltersResponse response;
    hrnn::v1::NamedFilterInfo* by_color = response.add_filters();
    by_color->set_name("by_color");
    by_color->set_expression("INCLUDE ItemID WHERE Items.COLOR IN ($COLORS)");
    hrnn::v1::FilterParameterInfo* colors = by_color->add_parameters();
    colors->set_name("COLORS");
    hrnn::v1::NamedFilterInfo* cheaper = response.add_filters();
    cheaper->set_name("cheaper_than");
    cheaper->set_expression(
        "EXCLUDE ItemID WHERE Items.PRICE >= $MAX_PRICE OR Items.COLOR IN ($COLORS)");
    hrnn::v1::FilterParameterInfo* max_price = cheaper->add_parameters();
    max_price->set_name("MAX_PRICE");
    max_price->set_numeric(true);
    cheaper->add_parameters()->set_name("COLORS");
    return response;
  }

 private:
  class RecommenderImpl : public hrnn::v1::Recommender::Service {
   public:
    explicit RecommenderImpl(FakeRecommenderServer* fake) : fake_(fake) {}

    grpc::Status GetRecommendations(grpc::ServerContext* context,
                                    const hrnn::v1::GetRecommendationsRequest* request,
                                    hrnn::v1::GetRecommendationsResponse* response) override {
      if (auto status = fake_->Begin("GetRecommendations", context); !status.ok()) return status;
      if (auto status = fake_->RecordFilter(request->filter()); !status.ok()) return status;
      if (request->user_id().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user_id: must not be empty");
      }
      const int n = request->num_results() == 0 ? 25 : request->num_results();
      if (n < 1 || n > 500) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("num_results: ", n, " is outside 1..500"));
      }
      for (int i = 0; i < n; ++i) {
        hrnn::v1::ScoredItem& item = *response->add_items();
        item.set_item_id(absl::StrCat("i", i));
        item.set_score(static_cast<float>(n - i) / 2);
      }
      response->set_recommendation_id("rec-1");
      response->set_model_version(7);
      response->set_state(request->session_id().empty() ? "new_user" : "session");
      // Serves "hrnn" (the default) and "sknn".
      if (!request->recipe().empty() && request->recipe() != "hrnn" &&
          request->recipe() != "sknn") {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("recipe: \"", request->recipe(), "\" is not served"));
      }
      response->set_recipe(request->recipe().empty() ? "hrnn" : request->recipe());
      // A promotion takes the last slot.
      fake_->RecordPromotion(request->has_promotion()
                                 ? std::optional<hrnn::v1::Promotion>(request->promotion())
                                 : std::nullopt);
      if (request->has_promotion()) {
        response->mutable_items(n - 1)->set_promotion(request->promotion().name());
      }
      return grpc::Status::OK;
    }

    grpc::Status GetSimilarItems(grpc::ServerContext* context,
                                 const hrnn::v1::GetSimilarItemsRequest* request,
                                 hrnn::v1::GetSimilarItemsResponse* response) override {
      if (auto status = fake_->Begin("GetSimilarItems", context); !status.ok()) return status;
      if (auto status = fake_->RecordFilter(request->filter()); !status.ok()) return status;
      if (request->item_id().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "item_id: must not be empty");
      }
      if (request->item_id().starts_with("x")) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("item_id: \"", request->item_id(), "\" is unknown"));
      }
      // "<item>-like-<i>" for i in [0, n), with falling scores.
      const int n = request->num_results() == 0 ? 25 : request->num_results();
      for (int i = 0; i < n; ++i) {
        hrnn::v1::ScoredItem& item = *response->add_items();
        item.set_item_id(absl::StrCat(request->item_id(), "-like-", i));
        item.set_score(static_cast<float>(n - i) / 4);
      }
      response->set_recommendation_id("sim-1");
      response->set_model_version(7);
      response->set_recipe("auto");
      return grpc::Status::OK;
    }

    grpc::Status GetPersonalizedRanking(
        grpc::ServerContext* context, const hrnn::v1::GetPersonalizedRankingRequest* request,
        hrnn::v1::GetPersonalizedRankingResponse* response) override {
      if (auto status = fake_->Begin("GetPersonalizedRanking", context); !status.ok()) {
        return status;
      }
      if (auto status = fake_->RecordFilter(request->filter()); !status.ok()) return status;
      // Reverses the input; ids starting with "x" are unknown and go last.
      for (int i = request->input_item_ids_size() - 1; i >= 0; --i) {
        if (request->input_item_ids(i).starts_with("x")) continue;
        hrnn::v1::RankedItem& item = *response->add_items();
        item.set_item_id(request->input_item_ids(i));
        item.set_score(static_cast<float>(i));
        item.set_known(true);
      }
      for (const std::string& id : request->input_item_ids()) {
        if (id.starts_with("x")) response->add_items()->set_item_id(id);
      }
      response->set_model_version(7);
      return grpc::Status::OK;
    }

    grpc::Status PutEvents(grpc::ServerContext* context, const hrnn::v1::PutEventsRequest* request,
                           hrnn::v1::PutEventsResponse* response) override {
      if (auto status = fake_->Begin("PutEvents", context); !status.ok()) return status;
      for (int i = 0; i < request->events_size(); ++i) {
        fake_->Accept(request->events(i), i, response);
      }
      return grpc::Status::OK;
    }

    grpc::Status StreamEvents(grpc::ServerContext* context,
                              grpc::ServerReader<hrnn::v1::Event>* reader,
                              hrnn::v1::PutEventsResponse* response) override {
      if (auto status = fake_->Begin("StreamEvents", context); !status.ok()) return status;
      hrnn::v1::Event event;
      for (int i = 0; reader->Read(&event); ++i) fake_->Accept(event, i, response);
      return grpc::Status::OK;
    }

    grpc::Status PutItems(grpc::ServerContext* context, const hrnn::v1::PutItemsRequest* request,
                          hrnn::v1::PutItemsResponse* response) override {
      if (auto status = fake_->Begin("PutItems", context); !status.ok()) return status;
      for (const hrnn::v1::ItemAvailability& item : request->items()) {
        if (item.item_id().starts_with("x")) {
          response->add_unknown_item_ids(item.item_id());
        } else {
          response->set_updated(response->updated() + 1);
        }
      }
      return grpc::Status::OK;
    }

    grpc::Status DeleteUser(grpc::ServerContext* context,
                            const hrnn::v1::DeleteUserRequest* request,
                            hrnn::v1::DeleteUserResponse* response) override {
      if (auto status = fake_->Begin("DeleteUser", context); !status.ok()) return status;
      response->set_deleted(request->user_id() == "known");
      return grpc::Status::OK;
    }

    grpc::Status GetModelInfo(grpc::ServerContext* context, const hrnn::v1::GetModelInfoRequest*,
                              hrnn::v1::ModelInfo* info) override {
      if (auto status = fake_->Begin("GetModelInfo", context); !status.ok()) return status;
      info->set_name("demo");
      info->set_version(7);
      info->set_mode("hrnn-init");
      info->set_num_items(500);
      info->set_hidden_size(64);
      info->set_user_hidden_size(64);
      info->set_loss("xe");
      info->set_item_table("fp32");
      (*info->mutable_metrics())["recall@20"] = 0.25;
      return grpc::Status::OK;
    }

    grpc::Status ListFilters(grpc::ServerContext* context, const hrnn::v1::ListFiltersRequest*,
                             hrnn::v1::ListFiltersResponse* response) override {
      if (auto status = fake_->Begin("ListFilters", context); !status.ok()) return status;
      *response = Filters();
      return grpc::Status::OK;
    }

   private:
    FakeRecommenderServer* fake_;
  };

  class HealthImpl : public grpc::health::v1::Health::Service {
   public:
    explicit HealthImpl(FakeRecommenderServer* fake) : fake_(fake) {}

    grpc::Status Check(grpc::ServerContext* context,
                       const grpc::health::v1::HealthCheckRequest* request,
                       grpc::health::v1::HealthCheckResponse* response) override {
      if (auto status = fake_->Begin("Health.Check", context); !status.ok()) return status;
      absl::MutexLock lock(&fake_->mu_);
      const auto it = fake_->health_status_.find(request->service());
      if (it == fake_->health_status_.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
      }
      response->set_status(it->second);
      return grpc::Status::OK;
    }

   private:
    FakeRecommenderServer* fake_;
  };

  // Records the call, sleeps the configured delay, and returns the forced failure if any.
  grpc::Status Begin(const std::string& method, grpc::ServerContext* context) {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      Call call{method, std::nullopt};
      const auto& metadata = context->client_metadata();
      if (const auto it = metadata.find("hrnn-user-id"); it != metadata.end()) {
        call.user_id_md = std::string(it->second.data(), it->second.size());
      }
      calls_.push_back(std::move(call));
      delay = delay_;
      if (fail_count_ > 0) {
        --fail_count_;
        return fail_status_;
      }
    }
    absl::SleepFor(delay);
    return grpc::Status::OK;
  }

  // Records `filter`; INVALID_ARGUMENT when it names a filter that Filters() does not list.
  grpc::Status RecordFilter(const hrnn::v1::Filter& filter) {
    {
      absl::MutexLock lock(&mu_);
      last_filter_ = filter;
    }
    if (filter.name().empty()) return grpc::Status::OK;
    const hrnn::v1::ListFiltersResponse served = Filters();
    for (const hrnn::v1::NamedFilterInfo& info : served.filters()) {
      if (info.name() == filter.name()) return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("filter.name: \"", filter.name(), "\" is not a named filter"));
  }

  // Records the promotion of a GetRecommendations call.
  void RecordPromotion(std::optional<hrnn::v1::Promotion> promotion) {
    absl::MutexLock lock(&mu_);
    last_promotion_ = std::move(promotion);
  }

  // Accepts `event` (recording it) unless its item id is empty or "rejected".
  void Accept(const hrnn::v1::Event& event, int index, hrnn::v1::PutEventsResponse* response) {
    if (event.item_id().empty() || event.item_id() == "rejected") {
      hrnn::v1::RejectedEvent& rejected = *response->add_rejected();
      rejected.set_index(index);
      rejected.set_reason(event.item_id().empty() ? "item_id: must not be empty"
                                                  : "item_id: rejected by the fake");
      return;
    }
    response->set_accepted(response->accepted() + 1);
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }

  RecommenderImpl recommender_;
  HealthImpl health_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;

  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<hrnn::v1::Event> events_ ABSL_GUARDED_BY(mu_);
  std::optional<hrnn::v1::Filter> last_filter_ ABSL_GUARDED_BY(mu_);
  std::optional<hrnn::v1::Promotion> last_promotion_ ABSL_GUARDED_BY(mu_);
  int fail_count_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Status fail_status_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::map<std::string, grpc::health::v1::HealthCheckResponse::ServingStatus> health_status_
      ABSL_GUARDED_BY(mu_) = {{"", grpc::health::v1::HealthCheckResponse::SERVING}};
};

}  // namespace hrnn::testing

#endif  // HRNN_TESTS_CLIENT_FAKE_RECOMMENDER_SERVER_H_
