#include "core/data/tie_shuffle.h"

#include <random>
#include <utility>

namespace hrnn {

int64_t CountTimestampTies(const Dataset& data) {
  int64_t ties = 0;
  for (const SessionSpan& span : data.sessions) {
    for (int64_t e = span.begin + 1; e < span.end; ++e) {
      ties += data.timestamps[e] == data.timestamps[e - 1];
    }
  }
  return ties;
}

Dataset ShuffleTimestampTies(const Dataset& data, uint64_t seed) {
  Dataset out = data;
  std::mt19937_64 rng(seed);
  for (const SessionSpan& span : out.sessions) {
    int64_t run = span.begin;
    while (run < span.end) {
      int64_t run_end = run + 1;
      while (run_end < span.end && out.timestamps[run_end] == out.timestamps[run]) ++run_end;
      // Fisher-Yates over [run, run_end): timestamps are equal, so only items move.
      for (int64_t i = run_end - 1; i > run; --i) {
        std::uniform_int_distribution<int64_t> pick(run, i);
        std::swap(out.items[i], out.items[pick(rng)]);
      }
      run = run_end;
    }
  }
  return out;
}

}  // namespace hrnn
