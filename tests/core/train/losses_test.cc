#include "core/train/losses.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/random.h"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;

// A mini-batch owned by the test, viewable as a LossInput.
struct Batch {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> scores;
  std::vector<int32_t> targets;
  std::vector<uint8_t> same_item;  // Empty = none.
  std::vector<float> log_q;

  LossInput Input() const {
    LossInput input;
    input.scores = scores;
    input.rows = rows;
    input.cols = cols;
    input.targets = targets;
    input.same_item = same_item;
    input.log_q = log_q;
    return input;
  }
};

// Random scores in [-scale, scale], random targets, optional random same-item marks (some on
// the target itself, which must be ignored) and log_q in [-8, -1].
Batch RandomBatch(int64_t rows, int64_t cols, uint64_t seed, bool with_same_item,
                  float scale = 3.0f) {
  Batch b;
  b.rows = rows;
  b.cols = cols;
  b.scores = testing::RandomVector(static_cast<size_t>(rows * cols), seed, scale);
  std::mt19937_64 rng(seed + 1);
  std::uniform_int_distribution<int32_t> col(0, static_cast<int32_t>(cols - 1));
  for (int64_t r = 0; r < rows; ++r) b.targets.push_back(col(rng));
  if (with_same_item) {
    std::bernoulli_distribution mark(0.25);
    b.same_item.resize(static_cast<size_t>(rows * cols));
    for (auto& m : b.same_item) m = mark(rng) ? 1 : 0;
  }
  std::uniform_real_distribution<float> lq(-8.0f, -1.0f);
  for (int64_t j = 0; j < cols; ++j) b.log_q.push_back(lq(rng));
  return b;
}

// Straightforward double-precision transcription of the three losses (mean over rows), the
// oracle for values and, by central differences, for gradients.
double ReferenceLoss(const LossOptions& options, const Batch& b, const std::vector<double>& s) {
  double total = 0.0;
  for (int64_t r = 0; r < b.rows; ++r) {
    const int64_t t = b.targets[r];
    auto excluded = [&](int64_t j) { return !b.same_item.empty() && b.same_item[r * b.cols + j]; };
    std::vector<double> o(static_cast<size_t>(b.cols));
    for (int64_t j = 0; j < b.cols; ++j) {
      double x = s[r * b.cols + j];
      if (options.kind == LossKind::kCrossEntropy && options.logq > 0) {
        x -= options.logq * b.log_q[j];
      }
      if (options.kind == LossKind::kBprMax && options.elu_param > 0 && x <= 0) {
        x = options.elu_param * (std::exp(x) - 1.0);
      }
      o[j] = x;
    }
    if (options.kind == LossKind::kCrossEntropy) {
      double m = -1e300;
      for (int64_t j = 0; j < b.cols; ++j) {
        if (j == t || !excluded(j)) m = std::max(m, o[j]);
      }
      double z = 0.0;
      for (int64_t j = 0; j < b.cols; ++j) {
        if (j == t || !excluded(j)) z += std::exp(o[j] - m);
      }
      total += -std::log(std::exp(o[t] - m) / z + 1e-24);
      continue;
    }
    auto negative = [&](int64_t j) { return j != t && !excluded(j); };
    double m = -1e300;
    bool any = false;
    for (int64_t j = 0; j < b.cols; ++j) {
      if (negative(j)) {
        m = std::max(m, o[j]);
        any = true;
      }
    }
    if (!any) continue;
    double z = 0.0;
    for (int64_t j = 0; j < b.cols; ++j) {
      if (negative(j)) z += std::exp(o[j] - m);
    }
    auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
    double sum_a = 0.0, sum_r = 0.0;
    for (int64_t j = 0; j < b.cols; ++j) {
      if (!negative(j)) continue;
      const double w = std::exp(o[j] - m) / z;
      if (options.kind == LossKind::kBprMax) {
        sum_a += w * sigmoid(o[t] - o[j]);
        sum_r += w * o[j] * o[j];
      } else {
        sum_a += w * (sigmoid(o[j] - o[t]) + sigmoid(o[j] * o[j]));
      }
    }
    total += options.kind == LossKind::kBprMax ? -std::log(sum_a + 1e-24) + options.bpreg * sum_r
                                               : sum_a;
  }
  return total / static_cast<double>(b.rows);
}

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<float> CentralDifferences(const LossOptions& options, const Batch& b) {
  std::vector<double> s = ToDouble(b.scores);
  std::vector<float> fd(s.size());
  constexpr double kStep = 1e-5;
  for (size_t i = 0; i < s.size(); ++i) {
    const double x = s[i];
    s[i] = x + kStep;
    const double plus = ReferenceLoss(options, b, s);
    s[i] = x - kStep;
    const double minus = ReferenceLoss(options, b, s);
    s[i] = x;
    fd[i] = static_cast<float>((plus - minus) / (2 * kStep));
  }
  return fd;
}

std::string Describe(const LossOptions& o) {
  return absl::StrCat(LossKindName(o.kind), " logq=", o.logq, " bpreg=", o.bpreg,
                      " elu=", o.elu_param);
}

struct GradientCase {
  LossOptions options;
  int64_t rows;
  int64_t cols;
  bool same_item;
};

std::vector<GradientCase> GradientCases() {
  std::vector<GradientCase> cases;
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{3, 7}, {5, 12}, {2, 2}};
  std::vector<LossOptions> options;
  for (float logq : {0.0f, 1.0f, 0.5f}) {
    LossOptions o;
    o.kind = LossKind::kCrossEntropy;
    o.logq = logq;
    options.push_back(o);
  }
  for (float elu : {0.0f, 0.5f, 1.0f}) {
    for (float bpreg : {0.0f, 1.0f, 0.3f}) {
      LossOptions o;
      o.kind = LossKind::kBprMax;
      o.elu_param = elu;
      o.bpreg = bpreg;
      options.push_back(o);
    }
  }
  LossOptions top1;
  top1.kind = LossKind::kTop1Max;
  options.push_back(top1);
  for (const auto& o : options) {
    for (const auto& [rows, cols] : shapes) {
      for (bool same_item : {false, true}) cases.push_back({o, rows, cols, same_item});
    }
  }
  return cases;
}

TEST(LossesTest, GradientMatchesFiniteDifferencesAndValueMatchesReference) {
  uint64_t seed = 100;
  for (const GradientCase& c : GradientCases()) {
    const Batch b = RandomBatch(c.rows, c.cols, ++seed, c.same_item);
    SCOPED_TRACE(absl::StrCat(Describe(c.options), " shape=", c.rows, "x", c.cols,
                              " same_item=", c.same_item, " seed=", seed));
    std::vector<float> grad(b.scores.size(), -7.0f);
    const double loss = ComputeLoss(c.options, b.Input(), absl::MakeSpan(grad));
    const double expected = ReferenceLoss(c.options, b, ToDouble(b.scores));
    EXPECT_NEAR(loss, expected, 1e-5 * (1.0 + std::fabs(expected)));
    testing::ExpectAllNear(grad, CentralDifferences(c.options, b), 5e-7f, 1e-4f);
  }
}

TEST(LossesTest, CrossEntropyOfUniformScoresIsLogCols) {
  Batch b = RandomBatch(4, 9, 1, false);
  std::fill(b.scores.begin(), b.scores.end(), 0.25f);
  LossOptions o;
  o.logq = 0.0f;
  std::vector<float> grad(b.scores.size());
  EXPECT_NEAR(ComputeLoss(o, b.Input(), absl::MakeSpan(grad)), std::log(9.0), 1e-6);
  for (int64_t r = 0; r < b.rows; ++r) {
    for (int64_t j = 0; j < b.cols; ++j) {
      const double expected = (1.0 / 9.0 - (j == b.targets[r] ? 1.0 : 0.0)) / 4.0;
      EXPECT_NEAR(grad[r * b.cols + j], expected, 1e-7) << "r=" << r << " j=" << j;
    }
  }
}

TEST(LossesTest, TwoColumnKnownValues) {
  // One row, target 0, one negative: the softmax weight of the negative is 1.
  Batch b;
  b.rows = 1;
  b.cols = 2;
  b.scores = {0.7f, -0.4f};
  b.targets = {0};
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  std::vector<float> grad(2);
  LossOptions bpr;
  bpr.kind = LossKind::kBprMax;
  bpr.bpreg = 0.5f;
  EXPECT_NEAR(ComputeLoss(bpr, b.Input(), absl::MakeSpan(grad)),
              -std::log(sigmoid(0.7 - -0.4)) + 0.5 * 0.16, 1e-6);
  LossOptions top1;
  top1.kind = LossKind::kTop1Max;
  EXPECT_NEAR(ComputeLoss(top1, b.Input(), absl::MakeSpan(grad)),
              sigmoid(-0.4 - 0.7) + sigmoid(0.16), 1e-6);
  LossOptions xe;
  xe.logq = 0.0f;
  EXPECT_NEAR(ComputeLoss(xe, b.Input(), absl::MakeSpan(grad)), -std::log(sigmoid(1.1)), 1e-6);
}

TEST(LossesTest, CrossEntropyIgnoresRowShiftsAndConstantLogQ) {
  const Batch b = RandomBatch(5, 12, 7, true);
  Batch shifted = b;
  for (int64_t r = 0; r < b.rows; ++r) {
    for (int64_t j = 0; j < b.cols; ++j) shifted.scores[r * b.cols + j] += 10.0f * (r + 1);
  }
  Batch constant_q = b;
  std::fill(constant_q.log_q.begin(), constant_q.log_q.end(), -3.0f);
  LossOptions plain;
  plain.logq = 0.0f;
  LossOptions with_q;
  with_q.logq = 1.0f;
  std::vector<float> g0(b.scores.size()), g1(b.scores.size()), g2(b.scores.size());
  const double l0 = ComputeLoss(plain, b.Input(), absl::MakeSpan(g0));
  EXPECT_NEAR(ComputeLoss(plain, shifted.Input(), absl::MakeSpan(g1)), l0, 1e-5);
  testing::ExpectAllNear(g1, g0, 1e-6f);
  EXPECT_NEAR(ComputeLoss(with_q, constant_q.Input(), absl::MakeSpan(g2)), l0, 1e-5);
  testing::ExpectAllNear(g2, g0, 1e-6f);
}

TEST(LossesTest, LargeScoresGiveFiniteLossAndGradient) {
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    for (float elu : {0.0f, 1.0f}) {
      LossOptions o;
      o.kind = kind;
      o.elu_param = elu;
      SCOPED_TRACE(Describe(o));
      const Batch b = RandomBatch(6, 40, 3, true, 1e4f);
      std::vector<float> grad(b.scores.size());
      const double loss = ComputeLoss(o, b.Input(), absl::MakeSpan(grad));
      EXPECT_TRUE(std::isfinite(loss)) << loss;
      if (kind == LossKind::kCrossEntropy) {
        EXPECT_LE(loss, -std::log(1e-24) + 1e-9);
      }
      for (size_t i = 0; i < grad.size(); ++i) {
        ASSERT_TRUE(std::isfinite(grad[i])) << "i=" << i << " grad=" << grad[i];
      }
      if (kind == LossKind::kCrossEntropy) {  // Each softmax-minus-onehot row sums to 0.
        for (int64_t r = 0; r < b.rows; ++r) {
          double sum = 0.0;
          for (int64_t j = 0; j < b.cols; ++j) sum += grad[r * b.cols + j];
          EXPECT_NEAR(sum, 0.0, 1e-6) << "row " << r;
        }
      }
    }
  }
}

TEST(LossesTest, ExtremeTargetMarginsGiveFiniteSaturatedValues) {
  // Row 0: the target beats every negative by ~1e4; row 1: it loses by ~1e4.
  Batch b = RandomBatch(2, 16, 5, false, 1.0f);
  b.scores[0 * b.cols + b.targets[0]] = 1e4f;
  b.scores[1 * b.cols + b.targets[1]] = -1e4f;
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    for (float elu : {0.0f, 0.5f}) {
      LossOptions o;
      o.kind = kind;
      o.logq = 0.0f;
      o.elu_param = elu;
      SCOPED_TRACE(Describe(o));
      std::vector<float> grad(b.scores.size());
      const double winner = ComputeLossRows(o, b.Input(), 0, 1, absl::MakeSpan(grad));
      const double loser = ComputeLossRows(o, b.Input(), 1, 2, absl::MakeSpan(grad));
      for (size_t i = 0; i < grad.size(); ++i) {
        ASSERT_TRUE(std::isfinite(grad[i])) << "i=" << i << " grad=" << grad[i];
      }
      // The double reference saturates the same way (its sums are exact here).
      Batch row0 = b, row1 = b;
      row0.rows = row1.rows = 1;
      row0.scores.resize(16);
      row0.targets.resize(1);
      row1.scores.erase(row1.scores.begin(), row1.scores.begin() + 16);
      row1.targets.erase(row1.targets.begin());
      EXPECT_NEAR(winner, ReferenceLoss(o, row0, ToDouble(row0.scores)), 1e-4);
      EXPECT_NEAR(loser, ReferenceLoss(o, row1, ToDouble(row1.scores)), 1e-4);
      if (kind == LossKind::kCrossEntropy) {
        EXPECT_NEAR(winner, 0.0, 1e-9);
        EXPECT_NEAR(loser, -std::log(1e-24), 1e-6);
      }
    }
  }
}

TEST(LossesTest, SameItemColumnsGetZeroGradientAndRowsWithoutNegativesAreZero) {
  Batch b = RandomBatch(4, 10, 11, true);
  // Row 2: every column but the target is the same item; the target's own mark is ignored.
  for (int64_t j = 0; j < b.cols; ++j) b.same_item[2 * b.cols + j] = 1;
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    LossOptions o;
    o.kind = kind;
    o.elu_param = 0.5f;
    SCOPED_TRACE(Describe(o));
    std::vector<float> grad(b.scores.size(), 123.0f);
    const double loss = ComputeLoss(o, b.Input(), absl::MakeSpan(grad));
    for (int64_t r = 0; r < b.rows; ++r) {
      for (int64_t j = 0; j < b.cols; ++j) {
        if (b.same_item[r * b.cols + j] && j != b.targets[r]) {
          EXPECT_EQ(grad[r * b.cols + j], 0.0f) << "r=" << r << " j=" << j;
        }
      }
    }
    // Row 2 alone: the target has nothing to beat.
    EXPECT_EQ(grad[2 * b.cols + b.targets[2]], 0.0f);
    std::vector<float> row_grad(b.scores.size(), 5.0f);
    const double row_loss = ComputeLossRows(o, b.Input(), 2, 3, absl::MakeSpan(row_grad));
    EXPECT_NEAR(row_loss, 0.0, 1e-12);
    EXPECT_TRUE(std::isfinite(loss));
  }
}

TEST(LossesTest, RowRangesAddUpBitwiseAndIgnoreAlignment) {
  const Batch b = RandomBatch(9, 37, 21, true);
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    LossOptions o;
    o.kind = kind;
    o.elu_param = 0.5f;
    SCOPED_TRACE(Describe(o));
    std::vector<float> whole(b.scores.size());
    const double mean = ComputeLoss(o, b.Input(), absl::MakeSpan(whole));
    std::vector<float> parts(b.scores.size(), 99.0f);
    const double sum = ComputeLossRows(o, b.Input(), 0, 4, absl::MakeSpan(parts)) +
                       ComputeLossRows(o, b.Input(), 4, 4, absl::MakeSpan(parts)) +
                       ComputeLossRows(o, b.Input(), 4, 9, absl::MakeSpan(parts));
    EXPECT_NEAR(sum / 9.0, mean, 1e-12);
    EXPECT_EQ(parts, whole);
    // The same data at a different address (shifted by one float) gives the same bits.
    std::vector<float> storage(b.scores.size() + 1);
    std::copy(b.scores.begin(), b.scores.end(), storage.begin() + 1);
    LossInput moved = b.Input();
    moved.scores = absl::MakeConstSpan(storage).subspan(1);
    std::vector<float> grad_storage(whole.size() + 3);
    const double moved_mean =
        ComputeLoss(o, moved, absl::MakeSpan(grad_storage).subspan(3, whole.size()));
    EXPECT_EQ(moved_mean, mean);
    EXPECT_EQ(std::vector<float>(grad_storage.begin() + 3, grad_storage.end()), whole);
  }
}

TEST(LossesTest, LossKindNamesRoundTrip) {
  for (LossKind kind : {LossKind::kCrossEntropy, LossKind::kBprMax, LossKind::kTop1Max}) {
    ASSERT_OK_AND_ASSIGN(const LossKind parsed, ParseLossKind(LossKindName(kind)));
    EXPECT_EQ(parsed, kind);
  }
  EXPECT_EQ(LossKindName(LossKind::kBprMax), "bpr-max");
  EXPECT_THAT(ParseLossKind("bpr_max"),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"bpr_max\""));
  EXPECT_THAT(ParseLossKind(""), StatusIs(absl::StatusCode::kInvalidArgument, "loss"));
}

}  // namespace
}  // namespace hrnn
