// Filter expressions (Personalize's filter language, DESIGN §5): the syntax tree and its
// parser. Syntax only: field names and kinds are checked when a FilterExpression is compiled
// against a catalogue's fields (item_filter_program.h). Stateless; safe to call concurrently.
//
// Grammar (keywords case-insensitive; whitespace — space, tab, CR, LF — between tokens is free,
// but "Items.", "CurrentItem." and "$" are written against the name that follows them):
//   filter     := ("INCLUDE" | "EXCLUDE") "ItemID" "WHERE" or_expr
//   or_expr    := and_expr ("OR" and_expr)*
//   and_expr   := primary ("AND" primary)*
//   primary    := "(" or_expr ")" | condition
//   condition  := subject ["NOT"] "IN" "(" operand ("," operand)* ")"
//               | subject compare_op operand
//   subject    := "Items." FIELD | "Interactions.EVENT_TYPE"
//   compare_op := "<" | "<=" | ">" | ">=" | "="
//   operand    := STRING | NUMBER | "$" NAME | "CurrentItem." FIELD
//   STRING     := '"' (any character but '"', '\' and newline | '\"' | '\\')* '"'
//   NUMBER     := ["-"] digits ["." digits] [("e"|"E") ["+"|"-"] digits]
//   FIELD, NAME:= [A-Za-z_][A-Za-z0-9_]*   (FIELD compared case-insensitively; NAME as written)
// Limits: 4,096 bytes of text, 64 conditions, 500 operands in one IN list, nesting depth 16.
// `Interactions.EVENT_TYPE` takes IN / NOT IN with string operands or parameters only (NOT IN
// parses, but ItemFilterProgram::Compile refuses it: use EXCLUDE ... IN).
#ifndef HRNN_CORE_CATALOGUE_FILTER_EXPRESSION_H_
#define HRNN_CORE_CATALOGUE_FILTER_EXPRESSION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// A position in the expression text, both from 1 (the file's line when parsed from a filters
// file; the column counts bytes).
struct TextPosition {
  int line = 1;
  int column = 1;
};

struct FilterOperand {
  enum class Kind {
    kString,       // A quoted literal: `text` is its value (escapes resolved).
    kNumber,       // A numeric literal: `number` is its value, `text` its spelling.
    kParameter,    // "$NAME": `text` is NAME (without the "$").
    kCurrentItem,  // "CurrentItem.FIELD": `text` is FIELD, upper-cased.
  };
  Kind kind = Kind::kString;
  std::string text;
  double number = 0.0;
  TextPosition position;
};

enum class FilterComparison { kIn, kNotIn, kLess, kLessEqual, kGreater, kGreaterEqual, kEqual };

// "IN", "NOT IN", "<", "<=", ">", ">=", "=".
absl::string_view FilterComparisonName(FilterComparison comparison);

struct FilterCondition {
  bool interactions = false;  // Interactions.EVENT_TYPE; otherwise Items.`field`.
  std::string field;          // Upper-cased; "EVENT_TYPE" for interactions.
  FilterComparison comparison = FilterComparison::kIn;
  std::vector<FilterOperand> operands;  // One for the comparisons, 1..500 for IN / NOT IN.
  TextPosition position;                // Of the subject.
};

// A node of the boolean tree: a condition (a leaf) or AND / OR of two or more children.
struct FilterNode {
  enum class Kind { kCondition, kAnd, kOr };
  Kind kind = Kind::kCondition;
  int condition = -1;         // kCondition: index into FilterExpression::conditions.
  std::vector<int> children;  // kAnd / kOr: indices into FilterExpression::nodes.
};

struct FilterExpression {
  bool include = false;  // INCLUDE: recommend only matching items; EXCLUDE: never them.
  std::vector<FilterCondition> conditions;
  std::vector<FilterNode> nodes;  // nodes[root] is the tree's root.
  int root = -1;
};

// Parses `text`; `first` is the position of its first byte (for expressions read from a
// file). Errors (InvalidArgument, "LINE:COLUMN: reason", e.g. `1:23: expected "IN" after
// Items.COLOR, got "ON"`): any departure from the grammar, an unterminated string, a limit
// exceeded, trailing text after the expression.
absl::StatusOr<FilterExpression> ParseFilterExpression(absl::string_view text,
                                                       TextPosition first = {});

}  // namespace hrnn

#endif  // HRNN_CORE_CATALOGUE_FILTER_EXPRESSION_H_
