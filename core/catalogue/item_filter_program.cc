#include "core/catalogue/item_filter_program.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hrnn {
namespace {

constexpr int kMaxParameterValues = 500;
constexpr int kMaxTreeDepth = 64;  // Parsed expressions stay far below (16 parentheses).

absl::Status CompileError(absl::string_view name, const TextPosition& position,
                          absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("filter ", name, ": ", position.line, ":", position.column, ": ", reason));
}

// A whole decimal number, finite (std::from_chars, general format: no "+", no spaces).
bool ParseNumber(absl::string_view text, double* number) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*number);
}

std::optional<int> FindFieldIn(const std::vector<AttributeField>& fields, absl::string_view name) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (absl::EqualsIgnoreCase(fields[i].name, name)) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string KnownFields(const std::vector<AttributeField>& fields) {
  if (fields.empty()) return "the catalogue has no item fields";
  std::string known = "the catalogue has ";
  constexpr size_t kMaxListed = 20;
  for (size_t i = 0; i < fields.size() && i < kMaxListed; ++i) {
    absl::StrAppend(&known, i == 0 ? "" : ", ", fields[i].name, " (",
                    fields[i].kind == AttributeKind::kNumeric ? "numeric" : "categorical", ")");
  }
  if (fields.size() > kMaxListed) absl::StrAppend(&known, ", ...");
  return known;
}

void SetRows(absl::Span<const int64_t> rows, int64_t num_rows, uint64_t* out) {
  for (const int64_t row : rows) {
    if (row < 0 || row >= num_rows) continue;
    out[row >> 6] |= uint64_t{1} << (row & 63);
  }
}

// out[w] = combine(out[w], bits of the rows r of word w for which has(r)), word by word.
template <typename Has, typename Combine>
void ForEachRowWord(int64_t num_rows, uint64_t* out, Has has, Combine combine) {
  const int64_t words = (num_rows + 63) / 64;
  for (int64_t w = 0; w < words; ++w) {
    const int64_t base = w * 64;
    const int64_t end = std::min(base + 64, num_rows);
    uint64_t bits = 0;
    for (int64_t row = base; row < end; ++row) {
      if (has(row)) bits |= uint64_t{1} << (row - base);
    }
    out[w] = combine(out[w], bits);
  }
}

// out[w] = bits of the rows r of word w whose value compares true with `operand` (`Op`: one of
// std::less<>, ...; NaN, a missing value, compares false with everything), word by word; the
// inner loop is branch-free so that the compiler vectorises it.
template <typename Op>
void CompareColumn(absl::Span<const double> column, double operand, uint64_t* out) {
  const int64_t num_rows = static_cast<int64_t>(column.size());
  const Op op;
  for (int64_t base = 0; base < num_rows; base += 64) {
    const int64_t count = std::min<int64_t>(64, num_rows - base);
    const double* values = column.data() + base;
    uint64_t bits = 0;
    for (int64_t i = 0; i < count; ++i) bits |= static_cast<uint64_t>(op(values[i], operand)) << i;
    out[base / 64] = bits;
  }
}

void CompareColumn(FilterComparison comparison, absl::Span<const double> column, double operand,
                   uint64_t* out) {
  switch (comparison) {
    case FilterComparison::kLess:
      return CompareColumn<std::less<>>(column, operand, out);
    case FilterComparison::kLessEqual:
      return CompareColumn<std::less_equal<>>(column, operand, out);
    case FilterComparison::kGreater:
      return CompareColumn<std::greater<>>(column, operand, out);
    case FilterComparison::kGreaterEqual:
      return CompareColumn<std::greater_equal<>>(column, operand, out);
    case FilterComparison::kEqual:
    case FilterComparison::kIn:
    case FilterComparison::kNotIn:
      return CompareColumn<std::equal_to<>>(column, operand, out);
  }
}

// Checks what the parser guarantees, for expressions built by hand: indices in range, children
// before their parents (so the tree has no cycle), bounded depth, operand counts.
absl::Status CheckStructure(absl::string_view name, const FilterExpression& expression) {
  auto malformed = [name](absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter ", name, ": malformed expression: ", what));
  };
  const int num_nodes = static_cast<int>(expression.nodes.size());
  const int num_conditions = static_cast<int>(expression.conditions.size());
  if (expression.root < 0 || expression.root >= num_nodes) return malformed("no root");
  std::vector<int> depth(num_nodes, 1);
  for (int i = 0; i < num_nodes; ++i) {
    const FilterNode& node = expression.nodes[i];
    if (node.kind == FilterNode::Kind::kCondition) {
      if (node.condition < 0 || node.condition >= num_conditions) {
        return malformed("a condition index out of range");
      }
      continue;
    }
    if (node.children.empty()) return malformed("AND / OR without children");
    for (const int child : node.children) {
      if (child < 0 || child >= i) return malformed("a child index out of order");
      depth[i] = std::max(depth[i], depth[child] + 1);
    }
    if (depth[i] > kMaxTreeDepth) return malformed("nested too deeply");
  }
  for (const FilterCondition& condition : expression.conditions) {
    const bool list = condition.comparison == FilterComparison::kIn ||
                      condition.comparison == FilterComparison::kNotIn;
    const size_t n = condition.operands.size();
    if (list ? (n < 1 || n > kMaxParameterValues) : n != 1) {
      return malformed(absl::StrCat("Items.", condition.field, " ",
                                    FilterComparisonName(condition.comparison), " with ", n,
                                    " operands"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Per-request state of Evaluate (local to one call, so concurrent calls share nothing).
struct ItemFilterProgram::Scratch {
  const FilterContext* context = nullptr;
  int64_t num_rows = 0;
  size_t words = 0;
  std::vector<const std::vector<std::string>*> parameter_values;  // Per parameter.
  std::vector<std::vector<double>> parameter_numbers;  // Per parameter, when numbers are needed.
  std::vector<std::vector<uint64_t>> levels;           // Bitmaps of the children, by depth.
  std::vector<int64_t> rows;                           // Interactions' rows.
  std::vector<double> numbers;                         // A numeric IN list's operands.
};

absl::StatusOr<ItemFilterProgram> ItemFilterProgram::Compile(
    absl::string_view name, const FilterExpression& expression,
    const std::vector<AttributeField>& fields) {
  if (auto status = CheckStructure(name, expression); !status.ok()) return status;
  ItemFilterProgram program;
  program.name_ = std::string(name);
  program.expression_ = expression;
  program.fields_ = fields;

  // Registers a parameter use; errors when it is used both as a number and as a list.
  auto add_parameter = [&](const FilterOperand& operand, bool numeric,
                           bool needs_numbers) -> absl::StatusOr<int> {
    for (size_t i = 0; i < program.parameters_.size(); ++i) {
      if (program.parameters_[i].name != operand.text) continue;
      if (program.parameters_[i].numeric != numeric) {
        return CompileError(name, operand.position,
                            absl::StrCat("parameter $", operand.text,
                                         " is used both as a number and as a list of values"));
      }
      if (needs_numbers) program.parameter_needs_numbers_[i] = true;
      return static_cast<int>(i);
    }
    program.parameters_.push_back(Parameter{operand.text, numeric});
    program.parameter_needs_numbers_.push_back(needs_numbers || numeric);
    return static_cast<int>(program.parameters_.size()) - 1;
  };

  for (const FilterCondition& condition : expression.conditions) {
    CompiledCondition compiled;
    compiled.comparison = condition.comparison;
    compiled.negate = condition.comparison == FilterComparison::kNotIn;
    const bool list = condition.comparison == FilterComparison::kIn ||
                      condition.comparison == FilterComparison::kNotIn;

    if (condition.interactions) {
      if (condition.comparison == FilterComparison::kNotIn) {
        return CompileError(name, condition.position,
                            "Interactions.EVENT_TYPE NOT IN is not supported; use EXCLUDE "
                            "ItemID WHERE Interactions.EVENT_TYPE IN (...)");
      }
      if (!list) {
        return CompileError(name, condition.position,
                            absl::StrCat("Interactions.EVENT_TYPE takes only IN, not ",
                                         FilterComparisonName(condition.comparison)));
      }
      compiled.method = Method::kInteractions;
      for (const FilterOperand& operand : condition.operands) {
        CompiledOperand out;
        out.kind = operand.kind;
        out.text = operand.text;
        if (operand.kind == FilterOperand::Kind::kParameter) {
          absl::StatusOr<int> parameter = add_parameter(operand, false, false);
          if (!parameter.ok()) return parameter.status();
          out.parameter = *parameter;
        } else if (operand.kind != FilterOperand::Kind::kString) {
          return CompileError(name, operand.position,
                              "Interactions.EVENT_TYPE takes strings or parameters");
        }
        compiled.operands.push_back(std::move(out));
      }
      program.uses_interactions_ = true;
      program.condition_field_.push_back(-1);
      program.compiled_.push_back(std::move(compiled));
      continue;
    }

    const std::optional<int> field = FindFieldIn(fields, condition.field);
    if (!field.has_value()) {
      return CompileError(
          name, condition.position,
          absl::StrCat("unknown field Items.", condition.field, " (", KnownFields(fields), ")"));
    }
    const std::string subject = absl::StrCat("Items.", fields[*field].name);
    const bool numeric = fields[*field].kind == AttributeKind::kNumeric;
    if (numeric) {
      compiled.method = list ? Method::kNumericIn : Method::kNumericCompare;
    } else {
      if (!list && condition.comparison != FilterComparison::kEqual) {
        return CompileError(
            name, condition.position,
            absl::StrCat(subject, " is categorical: ", FilterComparisonName(condition.comparison),
                         " needs a numeric field (use IN for categorical values)"));
      }
      compiled.method = Method::kCategoricalIn;  // "=" is IN with one value.
    }

    for (const FilterOperand& operand : condition.operands) {
      CompiledOperand out;
      out.kind = operand.kind;
      out.text = operand.text;
      out.number = operand.number;
      switch (operand.kind) {
        case FilterOperand::Kind::kString:
          if (numeric && !list) {
            return CompileError(
                name, operand.position,
                absl::StrCat(subject, " ", FilterComparisonName(condition.comparison),
                             " needs a number, got string \"", absl::CHexEscape(operand.text),
                             "\""));
          }
          if (numeric && !ParseNumber(operand.text, &out.number)) {
            return CompileError(name, operand.position,
                                absl::StrCat(subject, " is numeric: \"",
                                             absl::CHexEscape(operand.text), "\" is not a number"));
          }
          break;
        case FilterOperand::Kind::kNumber:
          if (!numeric) {
            return CompileError(name, operand.position,
                                absl::StrCat(subject, " is categorical: quote the value, as \"",
                                             operand.text, "\""));
          }
          break;
        case FilterOperand::Kind::kParameter: {
          // A categorical "=" takes a list like IN; a numeric comparison exactly one number.
          const bool single_number = numeric && !list;
          absl::StatusOr<int> parameter = add_parameter(operand, single_number, numeric && list);
          if (!parameter.ok()) return parameter.status();
          out.parameter = *parameter;
          break;
        }
        case FilterOperand::Kind::kCurrentItem: {
          const std::optional<int> current = FindFieldIn(fields, operand.text);
          if (!current.has_value()) {
            return CompileError(name, operand.position,
                                absl::StrCat("unknown field CurrentItem.", operand.text, " (",
                                             KnownFields(fields), ")"));
          }
          if (fields[*current].kind != fields[*field].kind) {
            return CompileError(
                name, operand.position,
                absl::StrCat("CurrentItem.", fields[*current].name, " is ",
                             AttributeKindName(fields[*current].kind), " but ", subject, " is ",
                             AttributeKindName(fields[*field].kind)));
          }
          out.field = *current;
          program.uses_current_item_ = true;
          break;
        }
      }
      compiled.operands.push_back(std::move(out));
    }
    program.condition_field_.push_back(*field);
    program.compiled_.push_back(std::move(compiled));
  }
  return program;
}

absl::Status ItemFilterProgram::Evaluate(const ItemAttributes& attributes,
                                         const FilterParameterValues& values,
                                         const FilterContext& context,
                                         std::vector<uint64_t>* excluded) const {
  if (expression_.root < 0) {
    return absl::FailedPreconditionError(absl::StrCat("filter ", name_, ": not compiled"));
  }
  // The fields used must be those compiled against (same index, name and kind).
  auto check_field = [&](int field) -> absl::Status {
    const std::vector<AttributeField>& have = attributes.fields();
    if (field < static_cast<int>(have.size()) && have[field].name == fields_[field].name &&
        have[field].kind == fields_[field].kind) {
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(
        absl::StrCat("filter ", name_, ": compiled for other item fields (Items.",
                     fields_[field].name, " is not field ", field, " of the catalogue)"));
  };
  for (size_t c = 0; c < compiled_.size(); ++c) {
    if (condition_field_[c] >= 0) {
      if (auto status = check_field(condition_field_[c]); !status.ok()) return status;
    }
    for (const CompiledOperand& operand : compiled_[c].operands) {
      if (operand.field < 0) continue;
      if (auto status = check_field(operand.field); !status.ok()) return status;
    }
  }

  Scratch scratch;
  scratch.context = &context;
  scratch.num_rows = attributes.num_rows();
  scratch.words = static_cast<size_t>((scratch.num_rows + 63) / 64);
  scratch.levels.resize(kMaxTreeDepth + 1);  // Sized once: EvaluateNode holds references.

  // Parameters, all checked before any evaluation.
  scratch.parameter_values.resize(parameters_.size());
  scratch.parameter_numbers.resize(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const Parameter& parameter = parameters_[i];
    auto error = [&](absl::string_view reason) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter ", name_, ": parameter $", parameter.name, ": ", reason));
    };
    const auto it = values.find(parameter.name);
    if (it == values.end()) return error("missing");
    const std::vector<std::string>& given = it->second;
    if (given.empty()) return error("has no values");
    if (given.size() > static_cast<size_t>(kMaxParameterValues)) {
      return error(absl::StrCat("has ", given.size(), " values, more than ", kMaxParameterValues));
    }
    if (parameter.numeric && given.size() != 1) {
      return error(absl::StrCat("is compared with a number and takes exactly one value, got ",
                                given.size()));
    }
    scratch.parameter_values[i] = &given;
    if (!parameter_needs_numbers_[i]) continue;
    std::vector<double>& numbers = scratch.parameter_numbers[i];
    numbers.resize(given.size());
    for (size_t v = 0; v < given.size(); ++v) {
      if (!ParseNumber(given[v], &numbers[v])) {
        return error(absl::StrCat("\"", absl::CHexEscape(given[v].substr(0, 40)),
                                  given[v].size() > 40 ? "..." : "", "\" is not a number"));
      }
    }
  }
  if (uses_current_item_) {
    if (!context.current_item.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filter ", name_, ": uses CurrentItem, which only requests for an item have"));
    }
    if (*context.current_item < 0 || *context.current_item >= scratch.num_rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter ", name_, ": the current item's row ", *context.current_item,
                       " is not in the catalogue (", scratch.num_rows, " rows)"));
    }
  }

  excluded->assign(scratch.words, 0);
  if (scratch.words == 0) return absl::OkStatus();
  EvaluateNode(expression_.root, attributes, &scratch, 0, excluded->data());
  if (expression_.include) {
    for (uint64_t& word : *excluded) word = ~word;
    const int tail = static_cast<int>(scratch.num_rows % 64);
    if (tail != 0) excluded->back() &= (uint64_t{1} << tail) - 1;
  }
  return absl::OkStatus();
}

void ItemFilterProgram::EvaluateNode(int node_index, const ItemAttributes& attributes,
                                     Scratch* scratch, int depth, uint64_t* out) const {
  const FilterNode& node = expression_.nodes[node_index];
  if (node.kind == FilterNode::Kind::kCondition) {
    EvaluateCondition(node.condition, attributes, scratch, out);
    return;
  }
  const size_t words = scratch->words;
  const bool is_and = node.kind == FilterNode::Kind::kAnd;
  EvaluateNode(node.children[0], attributes, scratch, depth + 1, out);
  std::vector<uint64_t>& child = scratch->levels[depth];
  child.resize(words);
  for (size_t i = 1; i < node.children.size(); ++i) {
    EvaluateNode(node.children[i], attributes, scratch, depth + 1, child.data());
    uint64_t any = 0;
    if (is_and) {
      for (size_t w = 0; w < words; ++w) any |= (out[w] &= child[w]);
      if (any == 0) return;  // Nothing left to intersect.
    } else {
      for (size_t w = 0; w < words; ++w) out[w] |= child[w];
    }
  }
}

void ItemFilterProgram::EvaluateCondition(int condition_index, const ItemAttributes& attributes,
                                          Scratch* scratch, uint64_t* out) const {
  const CompiledCondition& condition = compiled_[condition_index];
  const int field = condition_field_[condition_index];
  const int64_t num_rows = scratch->num_rows;
  std::fill(out, out + scratch->words, 0);
  const auto current = [&] { return *scratch->context->current_item; };

  switch (condition.method) {
    case Method::kInteractions: {
      if (!scratch->context->interactions) return;
      scratch->rows.clear();
      for (const CompiledOperand& operand : condition.operands) {
        if (operand.kind == FilterOperand::Kind::kParameter) {
          for (const std::string& type : *scratch->parameter_values[operand.parameter]) {
            scratch->context->interactions(type, &scratch->rows);
          }
        } else {
          scratch->context->interactions(operand.text, &scratch->rows);
        }
      }
      SetRows(scratch->rows, num_rows, out);
      return;
    }

    case Method::kCategoricalIn: {
      // A common value's precomputed bitmask is ORed in words; a rare one's rows set bits.
      auto add_id = [&](int32_t id) {
        const absl::Span<const uint64_t> bits = attributes.ValueBits(field, id);
        if (bits.size() == scratch->words) {
          for (size_t w = 0; w < scratch->words; ++w) out[w] |= bits[w];
        } else {
          SetRows(attributes.RowsWithValue(field, id), num_rows, out);
        }
      };
      auto add_value = [&](absl::string_view value) {
        const std::optional<int32_t> id = attributes.FindValue(field, value);
        if (id.has_value()) add_id(*id);
      };
      for (const CompiledOperand& operand : condition.operands) {
        switch (operand.kind) {
          case FilterOperand::Kind::kString:
            add_value(operand.text);
            break;
          case FilterOperand::Kind::kParameter:
            for (const std::string& value : *scratch->parameter_values[operand.parameter]) {
              add_value(value);
            }
            break;
          case FilterOperand::Kind::kCurrentItem:
            for (const int32_t id : attributes.RowValues(current(), operand.field)) {
              if (operand.field == field) {
                add_id(id);
              } else {
                add_value(attributes.value(operand.field, id));
              }
            }
            break;
          case FilterOperand::Kind::kNumber:  // Refused by Compile.
            break;
        }
      }
      if (condition.negate) {
        ForEachRowWord(
            num_rows, out, [&](int64_t row) { return !attributes.RowValues(row, field).empty(); },
            [](uint64_t in, uint64_t present) { return present & ~in; });
      }
      return;
    }

    case Method::kNumericIn: {
      std::vector<double>& numbers = scratch->numbers;
      numbers.clear();
      for (const CompiledOperand& operand : condition.operands) {
        switch (operand.kind) {
          case FilterOperand::Kind::kString:
          case FilterOperand::Kind::kNumber:
            numbers.push_back(operand.number);
            break;
          case FilterOperand::Kind::kParameter: {
            const std::vector<double>& given = scratch->parameter_numbers[operand.parameter];
            numbers.insert(numbers.end(), given.begin(), given.end());
            break;
          }
          case FilterOperand::Kind::kCurrentItem:
            if (std::optional<double> value = attributes.Numeric(current(), operand.field)) {
              numbers.push_back(*value);
            }
            break;
        }
      }
      std::sort(numbers.begin(), numbers.end());
      numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
      if (numbers.empty() && !condition.negate) return;
      const bool negate = condition.negate;
      ForEachRowWord(
          num_rows, out,
          [&](int64_t row) {
            const std::optional<double> value = attributes.Numeric(row, field);
            if (!value.has_value()) return false;
            const bool found = std::binary_search(numbers.begin(), numbers.end(), *value);
            return found != negate;
          },
          [](uint64_t, uint64_t bits) { return bits; });
      return;
    }

    case Method::kNumericCompare: {
      const CompiledOperand& operand = condition.operands[0];
      double target = operand.number;
      if (operand.kind == FilterOperand::Kind::kParameter) {
        target = scratch->parameter_numbers[operand.parameter][0];
      } else if (operand.kind == FilterOperand::Kind::kCurrentItem) {
        const std::optional<double> value = attributes.Numeric(current(), operand.field);
        if (!value.has_value()) return;  // Nothing to compare with: no row matches.
        target = *value;
      }
      CompareColumn(condition.comparison, attributes.NumericColumn(field).first(num_rows), target,
                    out);
      return;
    }
  }
}

}  // namespace hrnn
