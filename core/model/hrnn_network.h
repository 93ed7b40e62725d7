// HrnnNetwork: the inference form of one Model (DESIGN §2) — the session and user GRU cells,
// the session initialisation from the user state, and scoring of all N items against a session
// state with the SIMD kernels (fp32, or a bf16 / int8 copy of the item table to halve / quarter
// memory traffic; TopItems rescores the candidates of an int8 top-k exactly in fp32).
// HrnnReference computes the same functions with plain loops over the Model's tensors; it is the
// oracle in tests. Both are immutable after Create() and safe for concurrent use.
#ifndef HRNN_CORE_MODEL_HRNN_NETWORK_H_
#define HRNN_CORE_MODEL_HRNN_NETWORK_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/kernels/panel_matrix.h"
#include "core/kernels/top_k.h"
#include "core/model/gru_cell.h"
#include "core/model/model.h"

namespace hrnn {

struct NetworkOptions {
  // Element type of the item (output) table used for scoring. bf16 halves the bytes read per
  // request at a small accuracy cost; int8 (per-row scales, matvec.h) quarters them, at a larger
  // one that TopItems repairs for the returned list. Default: kFloat32.
  ElementType item_table_type = ElementType::kFloat32;
};

class HrnnNetwork {
 public:
  // Builds the packed inference weights of `model`. Errors: a null model.
  static absl::StatusOr<std::shared_ptr<const HrnnNetwork>> Create(
      std::shared_ptr<const Model> model, NetworkOptions options = NetworkOptions());

  const Model& model() const { return *model_; }
  const NetworkOptions& options() const { return options_; }
  ModelMode mode() const { return model_->config().mode; }
  int64_t num_items() const { return model_->config().num_items; }
  int hidden_size() const { return model_->config().hidden_size; }
  // Size of the user state c: user_hidden_size, or 0 in session-only mode.
  int user_state_size() const;

  // s0 = tanh(W_init c + b_init) with a user level; zeros in session-only mode.
  // `user_state` has user_state_size() floats (null means c = 0); `session_state` hidden_size().
  void InitSession(const float* user_state, float* session_state) const;
  // s = GRU_ses(e(item) [; c], s). `user_state` is read only in HRNN-All mode (null = zeros).
  // REQUIRES: 0 <= item < num_items().
  void SessionStep(int64_t item, const float* user_state, float* session_state) const;
  // c = GRU_usr(s, c): folds a finished session into the user state. No-op in session-only mode.
  void UserUpdate(const float* session_state, float* user_state) const;

  // scores[i] = W_out[i] · s + b_out[i] for all N items (scores has num_items() floats).
  void Score(const float* session_state, float* scores) const;
  // Score() for several states in one pass over the item table.
  // REQUIRES: states.size() == scores.size().
  void ScoreBatch(absl::Span<const float* const> states, absl::Span<float* const> scores) const;
  // ScoreBatch for the items of part `part` of `num_parts` equal slices of the table (split at
  // panel boundaries); only those items' scores are written, so the parts of one pass can run
  // on different threads. REQUIRES: 0 <= part < num_parts.
  void ScoreBatchPart(absl::Span<const float* const> states, absl::Span<float* const> scores,
                      int part, int num_parts) const;
  // Score() the way a straightforward implementation would: Eigen's matrix-vector product over
  // the model's row-major fp32 output table (no panel layout, no bf16). The baseline that
  // serving benchmarks compare against; same results as Score() up to rounding.
  void ScoreNaive(const float* session_state, float* scores) const;
  // scores[j] = score of items[j] only (for re-ranking a candidate list), computed exactly in
  // fp32 from the model's row-major output table whatever the item table type, so it is the
  // same for every NetworkOptions. REQUIRES: every item in [0, num_items()).
  void ScoreItems(const float* session_state, absl::Span<const int64_t> items, float* scores) const;

  // The k best items by score, best first, not in `exclusions`, from `scores` = Score() (or a
  // ScoreBatch row) of `session_state`; the ordering, tie rule (equal scores: lower index
  // first) and NaN policy (never returned) are TopK's (core/kernels/top_k.h).
  //   fp32, bf16: exactly TopK(scores, k, exclusions); `session_state` is not read.
  //   int8: the top max(2k, k + 32) items by the approximate `scores` are rescored with
  //     ScoreItems, and the k best of them by exact score are returned with their exact
  //     scores. The result equals TopK over exact scores unless an item of the exact top k
  //     ranks below max(2k, k + 32) in the int8 scores.
  // Returns fewer than k items when fewer qualify; k <= 0 returns nothing.
  // REQUIRES: scores.size() == num_items(); for int8, session_state has hidden_size() floats.
  std::vector<ScoredItem> TopItems(const float* session_state, absl::Span<const float> scores,
                                   int k, ItemExclusions exclusions) const;

  // Bytes of packed weights held (the item table dominates).
  size_t PackedBytes() const;

 private:
  HrnnNetwork(std::shared_ptr<const Model> model, NetworkOptions options);
  std::shared_ptr<const Model> model_;
  NetworkOptions options_;
  GruCell session_gru_;
  GruCell user_gru_;          // Unused in session-only mode.
  PanelMatrix session_init_;  // [H, Hu]; empty in session-only mode.
  std::vector<float> session_init_bias_;
  PanelMatrix item_table_;  // output.weight [N, H] in options_.item_table_type.
  std::vector<float> output_bias_;
};

// The same functions as HrnnNetwork on the Model's row-major tensors, with scalar loops.
class HrnnReference {
 public:
  explicit HrnnReference(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  void InitSession(const float* user_state, float* session_state) const;
  void SessionStep(int64_t item, const float* user_state, float* session_state) const;
  void UserUpdate(const float* session_state, float* user_state) const;
  void Score(const float* session_state, float* scores) const;

 private:
  std::shared_ptr<const Model> model_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_HRNN_NETWORK_H_
