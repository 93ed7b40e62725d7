#include "core/recipes/blend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

constexpr int kHrnn = ComponentIndex(BlendComponent::kHrnn);
constexpr int kSknn = ComponentIndex(BlendComponent::kSknn);
constexpr int kSr = ComponentIndex(BlendComponent::kSr);
constexpr int kTrending = ComponentIndex(BlendComponent::kTrending);

BlendWeights Weights(double hrnn, double sknn, double sr, double personal, double trending) {
  BlendWeights w;
  w.weight = {hrnn, sknn, sr, personal, trending};
  return w;
}

TEST(BlendTest, ComponentNamesRoundTrip) {
  const std::vector<std::string> names = {"hrnn", "sknn", "sr", "personal", "trending"};
  for (int c = 0; c < kNumBlendComponents; ++c) {
    const auto component = static_cast<BlendComponent>(c);
    EXPECT_EQ(BlendComponentName(component), names[c]);
    ASSERT_OK_AND_ASSIGN(BlendComponent parsed, ParseBlendComponent(names[c]));
    EXPECT_EQ(parsed, component);
  }
  EXPECT_THAT(ParseBlendComponent("gru"), StatusIs(absl::StatusCode::kInvalidArgument, "\"gru\""));
}

TEST(BlendTest, WeightsValidateNamesTheComponent) {
  EXPECT_OK(Weights(1, 0, 0, 0, 0).Validate());
  EXPECT_OK(Weights(0, 0, 0, 0, 0.5).Validate());
  EXPECT_THAT(Weights(1, -1, 0, 0, 0).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "weight[sknn]"));
  EXPECT_THAT(Weights(1, 0, 0, std::nan(""), 0).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "weight[personal]"));
  EXPECT_THAT(Weights(1, 0, 0, 0, std::numeric_limits<double>::infinity()).Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "weight[trending]"));
  EXPECT_THAT(BlendWeights().Validate(),
              StatusIs(absl::StatusCode::kInvalidArgument, "at least one"));
}

TEST(BlendTest, GruBlendTermIsOneAtTheMaxAndMonotone) {
  EXPECT_EQ(GruBlendTerm(3.0f, 3.0f), 1.0f);
  EXPECT_FLOAT_EQ(GruBlendTerm(2.0f, 3.0f), std::exp(-1.0f));
  EXPECT_EQ(GruBlendTerm(-std::numeric_limits<float>::infinity(), 3.0f), 0.0f);
  EXPECT_EQ(GruBlendTerm(-500.0f, 0.0f), 0.0f);  // Underflows.
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(GruBlendTerm(inf, inf), 1.0f);
  EXPECT_EQ(GruBlendTerm(-inf, -inf), 1.0f);
  EXPECT_TRUE(std::isnan(GruBlendTerm(std::nanf(""), 1.0f)));
  float previous = 0.0f;
  for (float x = -30.0f; x <= 0.0f; x += 0.125f) {
    const float term = GruBlendTerm(x, 0.0f);
    EXPECT_GE(term, previous) << "x = " << x;
    previous = term;
  }
  EXPECT_EQ(GruMaxLogit({}), -inf);
  const std::vector<float> logits = {1.0f, std::nanf(""), 4.0f, -2.0f};
  EXPECT_EQ(GruMaxLogit(logits), 4.0f);
  // Every length and position (the lanes and the tail), NaNs anywhere.
  for (size_t n = 1; n <= 37; ++n) {
    for (size_t at = 0; at < n; ++at) {
      std::vector<float> values(n, -1.0f);
      for (size_t i = 0; i < n; i += 3) values[i] = std::nanf("");
      values[at] = 7.5f;
      EXPECT_EQ(GruMaxLogit(values), 7.5f) << "n=" << n << " at=" << at;
    }
    EXPECT_EQ(GruMaxLogit(std::vector<float>(n, std::nanf(""))), -inf) << n;
  }
}

TEST(BlendTest, BlendedScoreIsTheWeightedSumAndSkipsZeroWeights) {
  const BlendTerms terms = {0.5f, 1.0f, 0.25f, std::nanf(""), 0.0f};
  EXPECT_EQ(BlendedScore(Weights(2, 1, 4, 0, 3), terms), 3.0f);  // 1 + 1 + 1 + 0.
  EXPECT_TRUE(std::isnan(BlendedScore(Weights(1, 0, 0, 1, 0), terms)));
}

TEST(BlendTest, BlendDenseByHand) {
  const std::vector<float> logits = {0.0f, 1.0f, -1.0f, 1.0f};
  SparseScores sknn(4);
  sknn.Add(2, 4.0f);
  sknn.Add(0, 2.0f);
  sknn.NormalizeByMax();  // Item 2: 1, item 0: 0.5.
  BlendInputs inputs;
  inputs.gru_logits = logits;
  inputs.sparse[kSknn] = &sknn;
  EXPECT_EQ(inputs.num_items(), 4);
  std::vector<float> dense(4);
  BlendDense(Weights(1, 2, 0, 0, 0), inputs, absl::MakeSpan(dense));
  EXPECT_FLOAT_EQ(dense[0], std::exp(-1.0f) + 1.0f);
  EXPECT_FLOAT_EQ(dense[1], 1.0f);
  EXPECT_FLOAT_EQ(dense[2], std::exp(-2.0f) + 2.0f);
  EXPECT_FLOAT_EQ(dense[3], 1.0f);
  const std::vector<ScoredItem> top = BlendTopK(Weights(1, 2, 0, 0, 0), inputs, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 2);
  EXPECT_EQ(top[1].index, 0);
  EXPECT_EQ(top[2].index, 1);  // Tied with item 3; the lower index wins.
  EXPECT_EQ(top[0].score, dense[2]);

  // Without logits: only items of positive blended score, the caller back-fills.
  BlendInputs sparse_only;
  sparse_only.sparse[kSknn] = &sknn;
  EXPECT_EQ(sparse_only.num_items(), 4);
  const std::vector<ScoredItem> sparse_top = BlendTopK(Weights(1, 2, 0, 0, 0), sparse_only, 10);
  EXPECT_EQ(sparse_top, (std::vector<ScoredItem>{{2, 2.0f}, {0, 1.0f}}));
  EXPECT_TRUE(BlendTopK(Weights(1, 2, 0, 0, 0), inputs, 0).empty());
}

// A random request: logits, up to four normalised sparse components, exclusions.
struct RandomCase {
  std::vector<float> logits;
  std::vector<SparseScores> sparse;  // One per sparse component, kSknn..kTrending.
  std::vector<uint64_t> mask;
  std::vector<int64_t> extra;
  BlendWeights weights;

  BlendInputs Inputs(bool with_logits) const {
    BlendInputs inputs;
    if (with_logits) inputs.gru_logits = logits;
    for (int c = kSknn; c <= kTrending; ++c) inputs.sparse[c] = &sparse[c - 1];
    return inputs;
  }
  ItemExclusions Exclusions() const {
    ItemExclusions exclusions(&mask);
    for (int64_t i : extra) exclusions.Add(i);
    return exclusions;
  }
};

RandomCase MakeCase(int32_t n, uint64_t seed, bool zero_hrnn) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  RandomCase rc;
  rc.logits.resize(static_cast<size_t>(n));
  for (float& x : rc.logits) x = normal(rng);
  for (int c = 0; c < 4; ++c) {
    SparseScores scores(n);
    const int touched = std::uniform_int_distribution<int>(0, std::max(1, n / 5))(rng);
    for (int t = 0; t < touched; ++t) {
      scores.Add(std::uniform_int_distribution<int32_t>(0, n - 1)(rng), unit(rng));
    }
    scores.NormalizeByMax();
    rc.sparse.push_back(std::move(scores));
  }
  rc.mask.assign(static_cast<size_t>((n + 63) / 64), 0);
  for (int32_t i = 0; i < n; ++i) {
    if (unit(rng) < 0.1f) rc.mask[i / 64] |= uint64_t{1} << (i % 64);
    if (unit(rng) < 0.05f) rc.extra.push_back(n - 1 - i);  // Unsorted.
  }
  const double grid[] = {0, 0, 0.25, 1, 3};
  for (double& w : rc.weights.weight) w = grid[std::uniform_int_distribution<int>(0, 4)(rng)];
  if (zero_hrnn) rc.weights.weight[kHrnn] = 0;
  rc.weights.weight[zero_hrnn ? kSr : kHrnn] = 0.5;  // Valid.
  return rc;
}

// TopK over BlendDense; without a GRU term only positive scores (BlendTopK's contract).
std::vector<ScoredItem> DenseReference(const RandomCase& rc, bool with_logits, int k) {
  const BlendInputs inputs = rc.Inputs(with_logits);
  std::vector<float> dense(static_cast<size_t>(inputs.num_items()));
  BlendDense(rc.weights, inputs, absl::MakeSpan(dense));
  const bool gru = with_logits && rc.weights.weight[kHrnn] > 0;
  std::vector<ScoredItem> top = TopKReference(dense, k, rc.Exclusions());
  if (!gru) {
    top.erase(std::remove_if(top.begin(), top.end(),
                             [](const ScoredItem& s) { return !(s.score > 0.0f); }),
              top.end());
  }
  return top;
}

TEST(BlendTest, TopKEqualsTopKOfDenseOnRandomInputs) {
  for (int32_t n : {1, 7, 64, 300, 2000}) {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      for (bool zero_hrnn : {false, true}) {
        const RandomCase rc = MakeCase(n, seed * 1000 + static_cast<uint64_t>(n), zero_hrnn);
        for (bool with_logits : {true, false}) {
          // n - 8: fewer allowed items than BlendTopK's deeper GRU top-k asks for.
          for (int k : {1, 5, 20, n - 8, n, n + 10}) {
            if (k < 1) continue;
            const std::vector<ScoredItem> expected = DenseReference(rc, with_logits, k);
            const std::vector<ScoredItem> actual =
                BlendTopK(rc.weights, rc.Inputs(with_logits), k, rc.Exclusions());
            ASSERT_EQ(actual, expected)
                << "n=" << n << " seed=" << seed << " zero_hrnn=" << zero_hrnn
                << " with_logits=" << with_logits << " k=" << k;
            for (const ScoredItem& s : actual) {
              EXPECT_FALSE(rc.Exclusions().Contains(s.index)) << s.index;
            }
          }
        }
      }
    }
  }
}

TEST(BlendTest, TopKIsExactWhenUnderflowedTermsTie) {
  // Logits rise with the index, so the GRU's top-k are the highest indices; most of them
  // underflow to a term of 0 and tie with every lower-index item, which must then win.
  const int32_t n = 300;
  std::vector<float> logits(n);
  for (int32_t i = 0; i < n; ++i) logits[i] = static_cast<float>(i - n);
  SparseScores sr(n);
  sr.Add(5, 1.0f);
  sr.NormalizeByMax();
  BlendInputs inputs;
  inputs.gru_logits = logits;
  inputs.sparse[kSr] = &sr;
  const BlendWeights weights = Weights(1, 0, 0.5, 0, 0);
  std::vector<float> dense(n);
  BlendDense(weights, inputs, absl::MakeSpan(dense));
  for (int k : {50, 150, 299}) {
    ItemExclusions exclusions;
    exclusions.Add(1);
    const std::vector<ScoredItem> expected = TopKReference(dense, k, exclusions);
    EXPECT_EQ(BlendTopK(weights, inputs, k, exclusions), expected) << "k=" << k;
  }
  const std::vector<ScoredItem> top = BlendTopK(weights, inputs, 150);
  // About 105 items have a term > 0 (or are item 5); the rest are the lowest-index zero items.
  EXPECT_LT(top.back().index, 100);
}

TEST(BlendTest, TopKIsExactWhenLogitsTieAtTheKthCandidate) {
  // Most logits are equal, and every 7th is 1e-9 below them (a different float near 0.001,
  // the same blended score): the k-th GRU candidate's score ties with outside items of lower
  // index, which must enter; items far below never do.
  const int32_t n = 2000;
  std::vector<float> logits(n, 0.001f);
  for (int32_t i = 0; i < n; i += 7) logits[i] = 0.001f - 1e-9f;
  for (int32_t i = 3; i < n; i += 11) logits[i] = -3.0f;
  logits[1500] = 4.0f;
  SparseScores sr(n);
  sr.Add(1900, 1.0f);
  sr.Add(40, 0.25f);
  sr.NormalizeByMax();
  BlendInputs inputs;
  inputs.gru_logits = logits;
  inputs.sparse[kSr] = &sr;
  for (const BlendWeights& weights : {Weights(1, 0, 0.5, 0, 0), Weights(0.25, 0, 4, 0, 0)}) {
    std::vector<float> dense(n);
    BlendDense(weights, inputs, absl::MakeSpan(dense));
    for (int k : {1, 10, 100, 1000}) {
      ItemExclusions exclusions;
      exclusions.Add(2);
      exclusions.Add(1500);
      const std::vector<ScoredItem> expected = TopKReference(dense, k, exclusions);
      EXPECT_EQ(BlendTopK(weights, inputs, k, exclusions), expected) << "k=" << k;
    }
  }
  ASSERT_LT(logits[0], logits[1]);                                          // Distinct logits...
  EXPECT_EQ(GruBlendTerm(logits[0], 4.0f), GruBlendTerm(logits[1], 4.0f));  // ...one score.
  const std::vector<ScoredItem> top = BlendTopK(Weights(1, 0, 0.5, 0, 0), inputs, 10);
  EXPECT_EQ(top[3].index, 0);  // After 1500, 1900 and 40: item 0, outside the GRU's top 10.
}

TEST(BlendTest, ExclusionsDoNotChangeOtherItemsScores) {
  const std::vector<float> logits = {5.0f, 1.0f, 0.0f};
  BlendInputs inputs;
  inputs.gru_logits = logits;
  ItemExclusions exclusions;
  exclusions.Add(0);  // The GRU's best item: the others keep exp(x - 5), not exp(x - 1).
  const std::vector<ScoredItem> top = BlendTopK(Weights(1, 0, 0, 0, 0), inputs, 2, exclusions);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].index, 1);
  EXPECT_FLOAT_EQ(top[0].score, std::exp(-4.0f));
  EXPECT_EQ(top[1].index, 2);
}

}  // namespace
}  // namespace hrnn
