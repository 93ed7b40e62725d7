// ItemFilterProgram: a filter expression compiled against a catalogue's fields, evaluated per
// request into a bitmask over the catalogue's rows (rows = model item indices once the
// attributes are aligned to the model). Categorical conditions cost the rows holding the asked
// values (the attribute table's per-value row lists) or word operations; numeric ones one
// comparison per row; AND / OR / NOT IN word operations over rows / 64 words. No string work
// per item. Immutable after Compile(): safe to evaluate from any number of threads.
#ifndef HRNN_CORE_CATALOGUE_ITEM_FILTER_PROGRAM_H_
#define HRNN_CORE_CATALOGUE_ITEM_FILTER_PROGRAM_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/catalogue/filter_expression.h"
#include "core/catalogue/item_attributes.h"

namespace hrnn {

// A request's parameter values: name (without "$") -> values. A parameter used in an IN list
// takes 1..500 values; one compared with a number takes exactly one, a decimal number.
using FilterParameterValues = absl::flat_hash_map<std::string, std::vector<std::string>>;

// What a request adds to the catalogue for evaluation.
struct FilterContext {
  // GetSimilarItems' item (a row of the attributes), for CurrentItem.F operands; nullopt
  // otherwise (then a filter that uses CurrentItem is an error).
  std::optional<int64_t> current_item;
  // Appends to *rows the rows of the items the user interacted with as `event_type` (for
  // Interactions.EVENT_TYPE conditions; called once per event type the filter names). Empty:
  // the user has no interactions.
  std::function<void(absl::string_view event_type, std::vector<int64_t>* rows)> interactions;
};

class ItemFilterProgram {
 public:
  struct Parameter {
    std::string name;      // Without "$".
    bool numeric = false;  // Compared with a number (exactly one value) or listed in IN.
  };

  // Compiles `expression` for a catalogue with `fields`; `name` names the filter in errors.
  // On a categorical field, "=" is IN with one operand; on a numeric one, IN compares numbers.
  // Errors (InvalidArgument, "filter NAME: LINE:COLUMN: reason"): an unknown field; <, <=, >,
  // >= on a categorical field; a numeric comparison (<, <=, >, >=, =) on a numeric field with a
  // string operand; a number literal on a categorical field (values are quoted); IN on a
  // numeric field with a string literal that is not a number; CurrentItem.F of an unknown
  // field or of another kind than the condition's field; a parameter used both as a number and
  // as a value list; Interactions.EVENT_TYPE NOT IN (use EXCLUDE ... IN). A hand-built
  // `expression` that breaks the parser's invariants: InvalidArgument ("malformed").
  static absl::StatusOr<ItemFilterProgram> Compile(absl::string_view name,
                                                   const FilterExpression& expression,
                                                   const std::vector<AttributeField>& fields);

  const std::string& name() const { return name_; }
  bool include() const { return expression_.include; }
  // Every parameter the expression uses, in first-use order, each once.
  const std::vector<Parameter>& parameters() const { return parameters_; }
  bool uses_current_item() const { return uses_current_item_; }
  bool uses_interactions() const { return uses_interactions_; }

  // Sets *excluded to num_rows bits ((num_rows + 63) / 64 words; bit r of word r / 64 set =
  // row r may not be recommended): the matching rows for EXCLUDE, the others for INCLUDE. Rows
  // with a missing value match no condition on that field (so NOT IN and numeric comparisons
  // are false for them too). `attributes` must have the fields the program was compiled for.
  // Values unknown to a field's dictionary match nothing. Errors (InvalidArgument, "filter
  // NAME: parameter $P: reason"): a parameter missing, with no values or more than 500, or not
  // a number where one is needed (compared with a number: exactly one value; listed in IN on a
  // numeric field: every value); CurrentItem without context.current_item, or with a row
  // outside the table ("filter NAME: reason"). FailedPrecondition: `attributes` lacks a field
  // the program uses (same index, name and kind). *excluded is unchanged on error.
  absl::Status Evaluate(const ItemAttributes& attributes, const FilterParameterValues& values,
                        const FilterContext& context, std::vector<uint64_t>* excluded) const;

 private:
  // How Evaluate computes one condition.
  enum class Method {
    kCategoricalIn,   // Union of the operands' row lists (`negate`: present and not in it).
    kNumericIn,       // One pass: the row's number equals an operand (`negate`: present, none).
    kNumericCompare,  // One pass: the row's number compared with the single operand.
    kInteractions,    // The rows context.interactions reports for the listed event types.
  };
  struct CompiledOperand {
    FilterOperand::Kind kind = FilterOperand::Kind::kString;
    std::string text;     // kString: the value; kParameter: its name.
    double number = 0.0;  // kNumber, or a kString literal of a numeric IN list, parsed.
    int parameter = -1;   // kParameter: index into parameters_.
    int field = -1;       // kCurrentItem: the current item's field.
  };
  struct CompiledCondition {
    Method method = Method::kCategoricalIn;
    bool negate = false;  // NOT IN.
    FilterComparison comparison = FilterComparison::kIn;
    std::vector<CompiledOperand> operands;
  };
  struct Scratch;

  // Write the node's (the condition's) matching rows to out[0 .. words).
  void EvaluateNode(int node, const ItemAttributes& attributes, Scratch* scratch, int depth,
                    uint64_t* out) const;
  void EvaluateCondition(int condition, const ItemAttributes& attributes, Scratch* scratch,
                         uint64_t* out) const;

  std::string name_;
  FilterExpression expression_;
  std::vector<int> condition_field_;  // Per condition: the field index (-1 for interactions).
  std::vector<Parameter> parameters_;
  std::vector<bool> parameter_needs_numbers_;  // Per parameter: its values must be numbers.
  std::vector<AttributeField> fields_;         // The fields compiled against.
  std::vector<CompiledCondition> compiled_;    // Per condition.
  bool uses_current_item_ = false;
  bool uses_interactions_ = false;
};

}  // namespace hrnn

#endif  // HRNN_CORE_CATALOGUE_ITEM_FILTER_PROGRAM_H_
