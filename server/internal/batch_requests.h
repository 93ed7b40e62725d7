// The requests of an hrnn-batch run (server/batch_recommender.h): each user's
// GetRecommendationsRequest — the run's recipe, exclusions and named filter, with the user's
// parameter values (a users CSV's non-empty cells over --filter_values) — built once the run's
// input has been checked against the model version: the recipe is served, the filter exists and
// suits GetRecommendations, the users file's columns are its parameters, every user has valid
// values for all of them (checked by ItemFilterProgram::Evaluate itself, on an empty catalogue),
// ids fit max_id_bytes. Immutable once created: For() is safe to call from any number of threads.
#ifndef HRNN_SERVER_INTERNAL_BATCH_REQUESTS_H_
#define HRNN_SERVER_INTERNAL_BATCH_REQUESTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/catalogue/item_filter_program.h"
#include "core/serving/serving_model.h"
#include "hrnn/v1/recommender.pb.h"
#include "server/batch_recommender.h"
#include "server/batch_users_file.h"

namespace hrnn::internal {

// One user to answer: the id, and the users-file row with their values (null for --all_users,
// who all get --filter_values).
struct BatchUserRef {
  const std::string* user_id = nullptr;
  const BatchUser* row = nullptr;
};

class BatchRequests {
 public:
  // Checks the run's input against `model`. Errors (InvalidArgument, before anything is
  // read or written): "--recipe: ..." (unknown, or not served by the version), "--filter: ..."
  // (unknown, or it needs CurrentItem), "--filter_values: ..." (a name that is not one of the
  // filter's parameters; with --all_users, a value missing or malformed), "FILE:1: the column
  // C ..." (a users-file column that is not one of the filter's parameters), "FILE:LINE: user
  // \"U\": ..." (a value missing or malformed for that user, an id over max_id_bytes).
  // `options`, `model` and `users_file` (null for --all_users) must outlive the result.
  static absl::StatusOr<BatchRequests> Create(const BatchOptions& options,
                                              const ServingModel& model,
                                              const UsersFile* users_file);

  // The GetRecommendations request for `user`.
  v1::GetRecommendationsRequest For(const BatchUserRef& user) const;

 private:
  BatchRequests(const BatchOptions* options, const UsersFile* users_file,
                const ItemFilterProgram* filter)
      : options_(options), users_file_(users_file), filter_(filter) {}
  // The named filter's values for `row` (null: the run's).
  FilterParameterValues ValuesFor(const BatchUser* row) const;

  const BatchOptions* options_;
  const UsersFile* users_file_;      // Null for --all_users.
  const ItemFilterProgram* filter_;  // Null without --filter.
};

}  // namespace hrnn::internal

#endif  // HRNN_SERVER_INTERNAL_BATCH_REQUESTS_H_
