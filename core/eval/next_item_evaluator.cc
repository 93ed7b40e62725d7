#include "core/eval/next_item_evaluator.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/eval/internal/prediction_plan.h"

namespace hrnn {

int64_t ConservativeRank(const float* scores, int64_t n, int64_t target) {
  const float t = scores[target];
  if (std::isnan(t)) return n;
  int64_t above_or_equal = 0;
  for (int64_t i = 0; i < n; ++i) above_or_equal += scores[i] >= t;
  return above_or_equal;  // Counts the target itself once: 1 + higher + other ties.
}

void MaskSeenItems(const int32_t* session_prefix, int64_t prefix_length, int32_t target,
                   float* scores) {
  constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
  for (int64_t p = 0; p < prefix_length; ++p) {
    if (session_prefix[p] != target) scores[session_prefix[p]] = kMinusInf;
  }
}

NextItemMetrics MetricsFromRanks(std::vector<int64_t> ranks, const std::vector<int>& cutoffs) {
  NextItemMetrics metrics;
  metrics.predictions = static_cast<int64_t>(ranks.size());
  for (int k : cutoffs) {
    double hits = 0, reciprocal = 0, gain = 0;
    for (int64_t rank : ranks) {
      if (rank <= k) {
        hits += 1;
        reciprocal += 1.0 / static_cast<double>(rank);
        gain += 1.0 / std::log2(static_cast<double>(rank) + 1.0);
      }
    }
    const double count = std::max<double>(1.0, static_cast<double>(ranks.size()));
    metrics.recall[k] = hits / count;
    metrics.mrr[k] = reciprocal / count;
    metrics.ndcg[k] = gain / count;
  }
  metrics.ranks = std::move(ranks);
  return metrics;
}

NextItemMetrics EvaluateNextItem(const HrnnNetwork& network, const Dataset& history,
                                 const Dataset& test, const NextItemEvalOptions& options) {
  const int64_t hidden = network.hidden_size();
  auto evaluate_users = [&](const internal::PredictionPlan& plan, int64_t begin, int64_t end,
                            absl::Span<int64_t> ranks) {
    const int64_t total = plan.total;
    std::vector<float> user(network.user_state_size(), 0.0f), session(hidden);
    std::vector<float> scores(network.num_items());
    float* c = user.empty() ? nullptr : user.data();
    auto replay_session = [&](const Dataset& data, const SessionSpan& span, bool predict,
                              int64_t out) {
      network.InitSession(c, session.data());
      for (int64_t e = span.begin; e < span.end; ++e) {
        network.SessionStep(data.items[e], c, session.data());
        if (predict && e + 1 < span.end) {
          if (out >= total) return out;
          network.Score(session.data(), scores.data());
          if (options.exclude_seen_items) {
            MaskSeenItems(&data.items[span.begin], e + 1 - span.begin, data.items[e + 1],
                          scores.data());
          }
          ranks[out++] = ConservativeRank(scores.data(), network.num_items(), data.items[e + 1]);
        }
      }
      if (c != nullptr) network.UserUpdate(session.data(), c);
      return out;
    };
    for (int64_t u = begin; u < end; ++u) {
      std::fill(user.begin(), user.end(), 0.0f);
      if (const UserSpan* past = plan.HistoryOf(history, test, u); past != nullptr && c) {
        for (int64_t s = past->session_begin; s < past->session_end; ++s) {
          replay_session(history, history.sessions[s], false, 0);
        }
      }
      int64_t out = plan.offset[u];
      for (int64_t s = test.users[u].session_begin; s < test.users[u].session_end; ++s) {
        out = replay_session(test, test.sessions[s], true, out);
      }
    }
  };
  return internal::RankPlannedPredictions(history, test, options, evaluate_users);
}

}  // namespace hrnn
