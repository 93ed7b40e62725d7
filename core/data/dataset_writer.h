// Writes a Dataset back as a Personalize CSV (USER_ID, ITEM_ID, TIMESTAMP, SESSION_ID), e.g.
// the train and test sides of a split made by hrnn-eval, so that hrnn-train can learn from
// exactly the training side. Stateless; thread-safe (distinct paths).
#ifndef HRNN_CORE_DATA_DATASET_WRITER_H_
#define HRNN_CORE_DATA_DATASET_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "core/data/dataset.h"

namespace hrnn {

// The CSV text of `data`: a header, then one row per event in Dataset order (user, session,
// time), TIMESTAMP in whole seconds, SESSION_ID "<user id>:<k>" with k the session's index
// within the user. Fields holding a comma, quote or line break are quoted (RFC 4180), so
// ReadInteractions reads the rows back in the same order (ties keep it).
std::string DatasetToCsv(const Dataset& data);

// Writes DatasetToCsv(data) to `path` (replacing it). Errors: the I/O error naming the path.
absl::Status WriteDatasetCsv(const Dataset& data, const std::string& path);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_DATASET_WRITER_H_
