// Named filters on the command line: fills Filter.name and Filter.values (proto
// hrnn.v1.Filter) from a filter name and a one-line spec of its parameter values, as
// hrnn-cli's --filter/--filter_values (and hrnn-loadgen) take them. Stateless functions;
// thread-safe.
//
// Spec syntax: `PARAM=V1|V2;PARAM2=V`
//   1. ';' separates parameters; each part is `PARAM=VALUES`, split at its first '='.
//   2. PARAM is the parameter's name without "$" (as ListFilters reports it), not empty, given
//      at most once.
//   3. VALUES is one or more values separated by '|', none empty; their order is kept.
//   4. ASCII whitespace around every name and value is trimmed; inside a value it is kept
//      ("COLOR=navy blue"). A spec that is empty or all whitespace means "no values".
// There is no escaping: a value cannot contain ';' or '|' (it may contain '='). Whether the
// parameters match the filter's (numeric ones take exactly one number) is the server's check.
#ifndef HRNN_CLIENT_FILTER_VALUES_H_
#define HRNN_CLIENT_FILTER_VALUES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hrnn/v1/recommender.pb.h"

namespace hrnn::client {

// Sets filter->name to `name` (as given) and replaces filter->values with the parameters of
// `values_spec` (syntax above); the filter's other fields are left alone. Returns
// InvalidArgument naming the problem and its place (the part's number from 1 and the 1-based
// column in `values_spec`): a part without '=' (an empty part included, e.g. a trailing ';'),
// an empty parameter name, a parameter given twice, an empty value, or values with an empty
// `name`. On error *filter is unchanged. An empty `name` with an empty spec clears the named
// filter. REQUIRES: filter != nullptr.
absl::Status SetNamedFilter(absl::string_view name, absl::string_view values_spec,
                            hrnn::v1::Filter* filter);

}  // namespace hrnn::client

#endif  // HRNN_CLIENT_FILTER_VALUES_H_
