// libFuzzer target: filter expressions on arbitrary text — parsed, and when that succeeds
// compiled against a small fixed catalogue (COLOR and SIZE categorical, PRICE numeric) and
// evaluated with fixed parameter values, with and without a current item — and the same text
// read as a named filters file. They must answer with a status, never crash; an evaluation that
// succeeds must give exactly (rows + 63) / 64 words with no bit past the last row, and every
// filter of a parsed file must parse again from its joined one-line text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/catalogue/filter_expression.h"
#include "core/catalogue/filters_file.h"
#include "core/catalogue/item_attributes.h"
#include "core/catalogue/item_filter_program.h"

namespace {

constexpr int64_t kRows = 70;  // Two words, the second one partial.

void Check(bool condition) {
  if (!condition) std::abort();
}

const hrnn::ItemAttributes& Table() {
  static const hrnn::ItemAttributes* const table = [] {
    absl::StatusOr<hrnn::ItemAttributes::Builder> builder =
        hrnn::ItemAttributes::Builder::Create({{"COLOR", hrnn::AttributeKind::kCategorical},
                                               {"PRICE", hrnn::AttributeKind::kNumeric},
                                               {"SIZE", hrnn::AttributeKind::kCategorical}});
    Check(builder.ok());
    const char* const colors[] = {"red", "navy", "green", "a\"b\\c"};
    const char* const sizes[] = {"s", "m", "l"};
    for (int64_t row = 0; row < kRows; ++row) {
      std::vector<hrnn::ItemAttributes::Builder::Cell> cells(3);
      for (int64_t k = 0; k < row % 3; ++k) cells[0].values.push_back(colors[(row + k) % 4]);
      if (row % 4 != 3) cells[1].number = static_cast<double>(row % 7) * 2.5;
      if (row % 5 != 0) cells[2].values.push_back(sizes[row % 3]);
      Check(builder->AddRow("item" + std::to_string(row), std::move(cells)).ok());
    }
    return new hrnn::ItemAttributes(std::move(*builder).Build());
  }();
  return *table;
}

void Evaluate(const hrnn::ItemFilterProgram& program) {
  static const hrnn::FilterParameterValues* const values = new hrnn::FilterParameterValues{
      {"COLORS", {"red", "navy", "purple"}},
      {"SIZES", {"m"}},
      {"MAX", {"10"}},
      {"PRICES", {"5", "7.5", "-0"}},
      {"T", {"purchase", "click"}},
      {"BAD", {"not a number"}},
      {"EMPTY", {}},
  };
  hrnn::FilterContext with_item;
  with_item.current_item = 4;
  with_item.interactions = [](absl::string_view type, std::vector<int64_t>* rows) {
    if (type == "purchase") rows->insert(rows->end(), {1, 5, 64, 69, 5});
    if (type == "click") rows->insert(rows->end(), {0, -1, kRows, 63});
  };
  for (const hrnn::FilterContext& context : {with_item, hrnn::FilterContext{}}) {
    std::vector<uint64_t> excluded(5, ~uint64_t{0});
    if (!program.Evaluate(Table(), *values, context, &excluded).ok()) continue;
    Check(excluded.size() == static_cast<size_t>((kRows + 63) / 64));
    Check((excluded.back() >> (kRows % 64)) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<hrnn::FilterExpression> expression = hrnn::ParseFilterExpression(text);
  if (expression.ok()) {
    absl::StatusOr<hrnn::ItemFilterProgram> program =
        hrnn::ItemFilterProgram::Compile("fuzz", *expression, Table().fields());
    if (program.ok()) Evaluate(*program);
  }

  absl::StatusOr<std::vector<hrnn::NamedFilter>> filters =
      hrnn::ParseFiltersFile(text, "fuzz.filters");
  if (filters.ok()) {
    for (const hrnn::NamedFilter& filter : *filters) {
      absl::StatusOr<hrnn::FilterExpression> again = hrnn::ParseFilterExpression(filter.text);
      Check(again.ok() && again->conditions.size() == filter.expression.conditions.size() &&
            again->include == filter.expression.include);
    }
    absl::StatusOr<std::vector<hrnn::ItemFilterProgram>> programs =
        hrnn::CompileFilters(*filters, Table().fields());
    if (programs.ok()) {
      for (const hrnn::ItemFilterProgram& program : *programs) Evaluate(program);
    }
  }
  return 0;
}
