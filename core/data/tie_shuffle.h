// Timestamp ties (DESIGN §3, shared/data/README.md): events of one session with equal
// timestamps are ordered only by file order. These functions count such ties and make a copy
// of a Dataset with every run of tied events randomly permuted, to measure how much a metric
// owes to file order. Stateless; thread-safe.
#ifndef HRNN_CORE_DATA_TIE_SHUFFLE_H_
#define HRNN_CORE_DATA_TIE_SHUFFLE_H_

#include <cstdint>

#include "core/data/dataset.h"

namespace hrnn {

// Consecutive event pairs within a session that share their timestamp (whole seconds).
int64_t CountTimestampTies(const Dataset& data);

// A copy of `data` where, inside every session, each maximal run of events with one timestamp
// is permuted uniformly at random (Fisher-Yates on a std::mt19937_64 seeded with `seed`, so the
// result depends only on the data and the seed). Everything else is unchanged.
Dataset ShuffleTimestampTies(const Dataset& data, uint64_t seed);

}  // namespace hrnn

#endif  // HRNN_CORE_DATA_TIE_SHUFFLE_H_
