#include "core/catalogue/filter_expression.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace hrnn {
namespace {

constexpr size_t kMaxExpressionBytes = 4096;
constexpr int kMaxConditions = 64;
constexpr int kMaxOperands = 500;
constexpr int kMaxDepth = 16;

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct Token {
  enum class Kind {
    kEnd,
    kWord,       // NAME or NAME.NAME: `prefix` and `suffix` (empty when there is no dot).
    kString,     // `value` holds the unescaped text.
    kNumber,     // `number`.
    kParameter,  // `value` holds NAME (without "$").
    kPunct,      // ( ) , < <= > >= =
    kError,      // A lexical error: `value` holds the reason.
  };
  Kind kind = Kind::kEnd;
  absl::string_view raw;  // The token's bytes in the text.
  absl::string_view prefix;
  absl::string_view suffix;
  std::string value;
  double number = 0.0;
  TextPosition position;
};

// How a token reads in an error message: "ON", string "red", number 5, end of text.
std::string Describe(const Token& token) {
  constexpr size_t kMaxShown = 40;
  switch (token.kind) {
    case Token::Kind::kEnd:
      return "end of text";
    case Token::Kind::kString: {
      std::string shown = token.value.size() > kMaxShown
                              ? absl::StrCat(token.value.substr(0, kMaxShown), "...")
                              : token.value;
      return absl::StrCat("string \"", absl::CHexEscape(shown), "\"");
    }
    case Token::Kind::kNumber:
      return absl::StrCat("number ", token.raw);
    default: {
      absl::string_view raw = token.raw.substr(0, kMaxShown);
      return absl::StrCat("\"", absl::CHexEscape(raw), raw.size() < token.raw.size() ? "..." : "",
                          "\"");
    }
  }
}

// Splits the text into tokens, tracking lines and columns.
class Lexer {
 public:
  Lexer(absl::string_view text, TextPosition first) : text_(text), first_(first) {}

  Token Next() {
    SkipSpace();
    Token token;
    token.position = PositionOf(pos_);
    const size_t start = pos_;
    if (pos_ >= text_.size()) {
      token.kind = Token::Kind::kEnd;
      return token;
    }
    const char c = text_[pos_];
    if (IsNameStart(c)) {
      LexWord(&token);
    } else if (c == '"') {
      LexString(&token);
    } else if (absl::ascii_isdigit(c) ||
               (c == '-' && pos_ + 1 < text_.size() && absl::ascii_isdigit(text_[pos_ + 1]))) {
      LexNumber(&token);
    } else if (c == '$') {
      ++pos_;
      if (pos_ < text_.size() && IsNameStart(text_[pos_])) {
        const size_t name_start = pos_;
        while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
        token.kind = Token::Kind::kParameter;
        token.value = std::string(text_.substr(name_start, pos_ - name_start));
      } else {
        Fail(&token, pos_, "expected a parameter name after \"$\"");
      }
    } else if (c == '(' || c == ')' || c == ',' || c == '=') {
      token.kind = Token::Kind::kPunct;
      ++pos_;
    } else if (c == '<' || c == '>') {
      token.kind = Token::Kind::kPunct;
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '=') ++pos_;
    } else {
      Fail(&token, pos_,
           absl::StrCat("unexpected character \"", absl::CHexEscape(text_.substr(pos_, 1)), "\""));
    }
    if (token.kind != Token::Kind::kError) token.raw = text_.substr(start, pos_ - start);
    return token;
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) {
      if (text_[pos_] == '\n') {
        ++lines_;
        line_start_ = pos_ + 1;
      }
      ++pos_;
    }
  }

  // The position of byte `offset`. REQUIRES: no newline between the current line's start and
  // `offset` (tokens never span lines).
  TextPosition PositionOf(size_t offset) const {
    TextPosition position;
    position.line = first_.line + lines_;
    position.column = (lines_ == 0 ? first_.column : 1) + static_cast<int>(offset - line_start_);
    return position;
  }

  void Fail(Token* token, size_t offset, std::string reason) {
    token->kind = Token::Kind::kError;
    token->position = PositionOf(offset);
    token->value = std::move(reason);
  }

  void LexWord(Token* token) {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    token->kind = Token::Kind::kWord;
    token->prefix = text_.substr(start, pos_ - start);
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !IsNameStart(text_[pos_])) {
        Fail(token, pos_, absl::StrCat("expected a name after \"", token->prefix, ".\""));
        return;
      }
      const size_t suffix_start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      token->suffix = text_.substr(suffix_start, pos_ - suffix_start);
    }
  }

  void LexString(Token* token) {
    const size_t quote = pos_;
    ++pos_;
    std::string value;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') {
        Fail(token, quote, "unterminated string");
        return;
      }
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
        if (next != '"' && next != '\\') {
          Fail(token, pos_, "unknown escape in string (only \\\" and \\\\ are allowed)");
          return;
        }
        value.push_back(next);
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    token->kind = Token::Kind::kString;
    token->value = std::move(value);
  }

  void LexNumber(Token* token) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    auto digits = [this] {
      const size_t from = pos_;
      while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) ++pos_;
      return pos_ > from;
    };
    digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        Fail(token, pos_, "expected a digit after \".\" in a number");
        return;
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) {
        Fail(token, pos_, "expected a digit in the exponent of a number");
        return;
      }
    }
    const absl::string_view spelling = text_.substr(start, pos_ - start);
    double number = 0.0;
    const auto [end, ec] =
        std::from_chars(spelling.data(), spelling.data() + spelling.size(), number);
    if (ec != std::errc() || end != spelling.data() + spelling.size() || !std::isfinite(number)) {
      Fail(token, start, absl::StrCat("number ", spelling, " is out of range"));
      return;
    }
    token->kind = Token::Kind::kNumber;
    token->number = number;
  }

  absl::string_view text_;
  TextPosition first_;
  size_t pos_ = 0;
  size_t line_start_ = 0;  // Offset of the current line's first byte.
  int lines_ = 0;          // Newlines passed.
};

absl::Status Error(const TextPosition& position, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(position.line, ":", position.column, ": ", reason));
}

bool IsKeyword(const Token& token, absl::string_view keyword) {
  return token.kind == Token::Kind::kWord && token.suffix.empty() &&
         absl::EqualsIgnoreCase(token.prefix, keyword);
}

bool IsPunct(const Token& token, absl::string_view punct) {
  return token.kind == Token::Kind::kPunct && token.raw == punct;
}

// Recursive descent over the grammar in the header, one token of lookahead.
class Parser {
 public:
  Parser(absl::string_view text, TextPosition first) : lexer_(text, first) {
    token_ = lexer_.Next();
  }

  absl::StatusOr<FilterExpression> Parse() {
    HRNN_RETURN_IF_ERROR(CheckLexical());
    if (IsKeyword(token_, "INCLUDE")) {
      expression_.include = true;
    } else if (!IsKeyword(token_, "EXCLUDE")) {
      return Unexpected("\"INCLUDE\" or \"EXCLUDE\"");
    }
    HRNN_RETURN_IF_ERROR(Advance());
    if (!IsKeyword(token_, "ItemID")) return Unexpected("\"ItemID\"");
    HRNN_RETURN_IF_ERROR(Advance());
    if (!IsKeyword(token_, "WHERE")) return Unexpected("\"WHERE\"");
    HRNN_RETURN_IF_ERROR(Advance());
    HRNN_ASSIGN_OR_RETURN(expression_.root, ParseOr(/*depth=*/0));
    if (token_.kind != Token::Kind::kEnd) {
      return Error(token_.position, absl::StrCat("unexpected ", Describe(token_),
                                                 " after the expression (expected \"AND\", "
                                                 "\"OR\" or the end)"));
    }
    return std::move(expression_);
  }

 private:
  absl::Status CheckLexical() const {
    if (token_.kind == Token::Kind::kError) return Error(token_.position, token_.value);
    return absl::OkStatus();
  }

  absl::Status Advance() {
    token_ = lexer_.Next();
    return CheckLexical();
  }

  absl::Status Unexpected(absl::string_view expected) const {
    return Error(token_.position, absl::StrCat("expected ", expected, ", got ", Describe(token_)));
  }

  int AddNode(FilterNode::Kind kind, std::vector<int> children) {
    FilterNode node;
    node.kind = kind;
    node.children = std::move(children);
    expression_.nodes.push_back(std::move(node));
    return static_cast<int>(expression_.nodes.size()) - 1;
  }

  absl::StatusOr<int> ParseOr(int depth) {
    std::vector<int> children;
    HRNN_ASSIGN_OR_RETURN(int first, ParseAnd(depth));
    children.push_back(first);
    while (IsKeyword(token_, "OR")) {
      HRNN_RETURN_IF_ERROR(Advance());
      HRNN_ASSIGN_OR_RETURN(int next, ParseAnd(depth));
      children.push_back(next);
    }
    if (children.size() == 1) return children[0];
    return AddNode(FilterNode::Kind::kOr, std::move(children));
  }

  absl::StatusOr<int> ParseAnd(int depth) {
    std::vector<int> children;
    HRNN_ASSIGN_OR_RETURN(int first, ParsePrimary(depth));
    children.push_back(first);
    while (IsKeyword(token_, "AND")) {
      HRNN_RETURN_IF_ERROR(Advance());
      HRNN_ASSIGN_OR_RETURN(int next, ParsePrimary(depth));
      children.push_back(next);
    }
    if (children.size() == 1) return children[0];
    return AddNode(FilterNode::Kind::kAnd, std::move(children));
  }

  absl::StatusOr<int> ParsePrimary(int depth) {
    if (IsPunct(token_, "(")) {
      if (depth >= kMaxDepth) {
        return Error(token_.position,
                     absl::StrCat("parentheses nested deeper than ", kMaxDepth, " levels"));
      }
      HRNN_RETURN_IF_ERROR(Advance());
      HRNN_ASSIGN_OR_RETURN(int inner, ParseOr(depth + 1));
      if (!IsPunct(token_, ")")) return Unexpected("\")\" or a boolean operator");
      HRNN_RETURN_IF_ERROR(Advance());
      return inner;
    }
    HRNN_ASSIGN_OR_RETURN(FilterCondition condition, ParseCondition());
    if (static_cast<int>(expression_.conditions.size()) >= kMaxConditions) {
      return Error(condition.position,
                   absl::StrCat("more than ", kMaxConditions, " conditions in one filter"));
    }
    expression_.conditions.push_back(std::move(condition));
    FilterNode node;
    node.kind = FilterNode::Kind::kCondition;
    node.condition = static_cast<int>(expression_.conditions.size()) - 1;
    expression_.nodes.push_back(std::move(node));
    return static_cast<int>(expression_.nodes.size()) - 1;
  }

  absl::StatusOr<FilterCondition> ParseCondition() {
    FilterCondition condition;
    condition.position = token_.position;
    const bool is_subject = token_.kind == Token::Kind::kWord && !token_.suffix.empty();
    if (is_subject && absl::EqualsIgnoreCase(token_.prefix, "Items")) {
      condition.field = absl::AsciiStrToUpper(token_.suffix);
    } else if (is_subject && absl::EqualsIgnoreCase(token_.prefix, "Interactions")) {
      if (!absl::EqualsIgnoreCase(token_.suffix, "EVENT_TYPE")) {
        return Error(token_.position,
                     absl::StrCat("Interactions has only EVENT_TYPE, got \"Interactions.",
                                  token_.suffix, "\""));
      }
      condition.interactions = true;
      condition.field = "EVENT_TYPE";
    } else {
      return Unexpected("a condition (Items.FIELD, Interactions.EVENT_TYPE or \"(\")");
    }
    const std::string subject =
        absl::StrCat(condition.interactions ? "Interactions." : "Items.", condition.field);
    HRNN_RETURN_IF_ERROR(Advance());

    // The operator.
    if (IsKeyword(token_, "NOT")) {
      HRNN_RETURN_IF_ERROR(Advance());
      if (!IsKeyword(token_, "IN")) return Unexpected("\"IN\" after \"NOT\"");
      condition.comparison = FilterComparison::kNotIn;
    } else if (IsKeyword(token_, "IN")) {
      condition.comparison = FilterComparison::kIn;
    } else if (IsPunct(token_, "<")) {
      condition.comparison = FilterComparison::kLess;
    } else if (IsPunct(token_, "<=")) {
      condition.comparison = FilterComparison::kLessEqual;
    } else if (IsPunct(token_, ">")) {
      condition.comparison = FilterComparison::kGreater;
    } else if (IsPunct(token_, ">=")) {
      condition.comparison = FilterComparison::kGreaterEqual;
    } else if (IsPunct(token_, "=")) {
      condition.comparison = FilterComparison::kEqual;
    } else if (token_.kind == Token::Kind::kWord) {
      return Unexpected(absl::StrCat("\"IN\" after ", subject));
    } else {
      return Unexpected(absl::StrCat("\"IN\", \"NOT IN\" or a comparison after ", subject));
    }
    const bool list = condition.comparison == FilterComparison::kIn ||
                      condition.comparison == FilterComparison::kNotIn;
    if (condition.interactions && !list) {
      return Error(token_.position,
                   absl::StrCat(subject, " takes only IN or NOT IN, got ", Describe(token_)));
    }
    HRNN_RETURN_IF_ERROR(Advance());

    // The operands.
    if (!list) {
      HRNN_ASSIGN_OR_RETURN(FilterOperand operand, ParseOperand(condition, subject));
      condition.operands.push_back(std::move(operand));
      return condition;
    }
    if (!IsPunct(token_, "(")) return Unexpected("\"(\" to open the IN list");
    HRNN_RETURN_IF_ERROR(Advance());
    while (true) {
      if (static_cast<int>(condition.operands.size()) >= kMaxOperands) {
        return Error(token_.position,
                     absl::StrCat("more than ", kMaxOperands, " values in one IN list"));
      }
      HRNN_ASSIGN_OR_RETURN(FilterOperand operand, ParseOperand(condition, subject));
      condition.operands.push_back(std::move(operand));
      if (IsPunct(token_, ")")) break;
      if (!IsPunct(token_, ",")) return Unexpected("\",\" or \")\" in the IN list");
      HRNN_RETURN_IF_ERROR(Advance());
    }
    HRNN_RETURN_IF_ERROR(Advance());
    return condition;
  }

  absl::StatusOr<FilterOperand> ParseOperand(const FilterCondition& condition,
                                             absl::string_view subject) {
    FilterOperand operand;
    operand.position = token_.position;
    switch (token_.kind) {
      case Token::Kind::kString:
        operand.kind = FilterOperand::Kind::kString;
        operand.text = std::move(token_.value);
        break;
      case Token::Kind::kNumber:
        operand.kind = FilterOperand::Kind::kNumber;
        operand.text = std::string(token_.raw);
        operand.number = token_.number;
        break;
      case Token::Kind::kParameter:
        operand.kind = FilterOperand::Kind::kParameter;
        operand.text = std::move(token_.value);
        break;
      case Token::Kind::kWord:
        if (!token_.suffix.empty() && absl::EqualsIgnoreCase(token_.prefix, "CurrentItem")) {
          operand.kind = FilterOperand::Kind::kCurrentItem;
          operand.text = absl::AsciiStrToUpper(token_.suffix);
          break;
        }
        [[fallthrough]];
      default:
        return Unexpected("a value (a \"string\", a number, $PARAMETER or CurrentItem.FIELD)");
    }
    if (condition.interactions && operand.kind != FilterOperand::Kind::kString &&
        operand.kind != FilterOperand::Kind::kParameter) {
      return Error(operand.position,
                   absl::StrCat(subject, " takes strings or parameters, got ", Describe(token_)));
    }
    HRNN_RETURN_IF_ERROR(Advance());
    return operand;
  }

  Lexer lexer_;
  Token token_;
  FilterExpression expression_;
};

}  // namespace

absl::string_view FilterComparisonName(FilterComparison comparison) {
  switch (comparison) {
    case FilterComparison::kIn:
      return "IN";
    case FilterComparison::kNotIn:
      return "NOT IN";
    case FilterComparison::kLess:
      return "<";
    case FilterComparison::kLessEqual:
      return "<=";
    case FilterComparison::kGreater:
      return ">";
    case FilterComparison::kGreaterEqual:
      return ">=";
    case FilterComparison::kEqual:
      return "=";
  }
  return "?";
}

absl::StatusOr<FilterExpression> ParseFilterExpression(absl::string_view text, TextPosition first) {
  if (text.size() > kMaxExpressionBytes) {
    return Error(first, absl::StrCat("filter expression is ", text.size(), " bytes, more than ",
                                     kMaxExpressionBytes));
  }
  return Parser(text, first).Parse();
}

}  // namespace hrnn
