#include "core/catalogue/item_attributes.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/catalogue/internal/attribute_checks.h"

namespace hrnn {
namespace {

using internal::Quoted;

constexpr int64_t kMissingTimestamp = std::numeric_limits<int64_t>::min();

absl::Status CellError(int cell, absl::string_view message) {
  return internal::WithRefusedCell(absl::InvalidArgumentError(message), cell);
}

// Drops repeated values, keeping each one's first occurrence in order.
void RemoveDuplicates(std::vector<std::string>* values) {
  constexpr size_t kQuadraticUpTo = 16;
  if (values->size() < 2) return;
  size_t kept = 0;
  if (values->size() <= kQuadraticUpTo) {
    for (size_t i = 0; i < values->size(); ++i) {
      const auto begin = values->begin();
      if (std::find(begin, begin + kept, (*values)[i]) == begin + kept) {
        if (kept != i) (*values)[kept] = std::move((*values)[i]);
        ++kept;
      }
    }
  } else {
    absl::flat_hash_set<std::string> seen;
    for (size_t i = 0; i < values->size(); ++i) {
      if (seen.insert((*values)[i]).second) {
        if (kept != i) (*values)[kept] = std::move((*values)[i]);
        ++kept;
      }
    }
  }
  values->resize(kept);
}

// Why `value` cannot be a categorical value, or nullopt.
std::optional<std::string> ValueProblem(absl::string_view value) {
  if (value.empty()) return "empty value";
  if (value.size() > static_cast<size_t>(kMaxAttributeValueBytes)) {
    return absl::StrCat("value ", Quoted(value), " is longer than ", kMaxAttributeValueBytes,
                        " bytes (", value.size(), ")");
  }
  if (value.find('|') != absl::string_view::npos) {
    return absl::StrCat("value ", Quoted(value), " holds \"|\" (the multi-value separator)");
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return absl::StrCat("value ", Quoted(value), " has leading or trailing spaces");
  }
  return std::nullopt;
}

}  // namespace

absl::string_view AttributeKindName(AttributeKind kind) {
  switch (kind) {
    case AttributeKind::kCategorical:
      return "categorical";
    case AttributeKind::kNumeric:
      return "numeric";
  }
  return "unknown";
}

std::optional<int> ItemAttributes::FindField(absl::string_view name) const {
  for (size_t f = 0; f < fields_.size(); ++f) {
    if (absl::EqualsIgnoreCase(fields_[f].name, name)) return static_cast<int>(f);
  }
  return std::nullopt;
}

std::optional<int64_t> ItemAttributes::FindRow(absl::string_view item_id) const {
  if (auto it = row_of_id_.find(item_id); it != row_of_id_.end()) return it->second;
  return std::nullopt;
}

int32_t ItemAttributes::num_values(int field) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  return static_cast<int32_t>(categorical_[column_of_field_[field]].values.size());
}

const std::string& ItemAttributes::value(int field, int32_t value) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  return categorical_[column_of_field_[field]].values[value];
}

std::optional<int32_t> ItemAttributes::FindValue(int field, absl::string_view value) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  const CategoricalColumn& column = categorical_[column_of_field_[field]];
  if (auto it = column.value_ids.find(value); it != column.value_ids.end()) return it->second;
  return std::nullopt;
}

absl::Span<const int32_t> ItemAttributes::RowValues(int64_t row, int field) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  const CategoricalColumn& column = categorical_[column_of_field_[field]];
  const int64_t begin = column.row_offsets[row];
  return absl::MakeConstSpan(column.row_values.data() + begin, column.row_offsets[row + 1] - begin);
}

absl::Span<const int64_t> ItemAttributes::RowsWithValue(int field, int32_t value) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  return categorical_[column_of_field_[field]].rows_with_value[value];
}

absl::Span<const double> ItemAttributes::NumericColumn(int field) const {
  assert(fields_[field].kind == AttributeKind::kNumeric);
  return numeric_[column_of_field_[field]].values;
}

absl::Span<const uint64_t> ItemAttributes::ValueBits(int field, int32_t value) const {
  assert(fields_[field].kind == AttributeKind::kCategorical);
  return categorical_[column_of_field_[field]].value_bits[value];
}

void ItemAttributes::IndexCommonValues() {
  constexpr size_t kMaxCommonValues = 64;
  const int64_t rows = num_rows();
  const size_t words = static_cast<size_t>((rows + 63) / 64);
  const size_t threshold = static_cast<size_t>(std::max<int64_t>(64, rows / 32));
  for (CategoricalColumn& column : categorical_) {
    column.value_bits.assign(column.rows_with_value.size(), {});
    std::vector<int32_t> common;
    for (size_t v = 0; v < column.rows_with_value.size(); ++v) {
      if (column.rows_with_value[v].size() >= threshold) common.push_back(static_cast<int32_t>(v));
    }
    std::stable_sort(common.begin(), common.end(), [&column](int32_t a, int32_t b) {
      return column.rows_with_value[a].size() > column.rows_with_value[b].size();
    });
    if (common.size() > kMaxCommonValues) common.resize(kMaxCommonValues);
    for (const int32_t v : common) {
      std::vector<uint64_t>& bits = column.value_bits[v];
      bits.assign(words, 0);
      for (const int64_t row : column.rows_with_value[v])
        bits[row >> 6] |= uint64_t{1} << (row & 63);
    }
  }
}

std::optional<double> ItemAttributes::Numeric(int64_t row, int field) const {
  assert(fields_[field].kind == AttributeKind::kNumeric);
  const double value = numeric_[column_of_field_[field]].values[row];
  if (std::isnan(value)) return std::nullopt;
  return value;
}

std::optional<int64_t> ItemAttributes::creation_timestamp_s(int64_t row) const {
  const int64_t seconds = creation_timestamps_s_[row];
  if (seconds == kMissingTimestamp) return std::nullopt;
  return seconds;
}

ItemAttributes ItemAttributes::AlignedTo(absl::Span<const std::string> ids,
                                         std::vector<std::string>* dropped) const {
  ItemAttributes out;
  out.fields_ = fields_;
  out.column_of_field_ = column_of_field_;
  out.item_ids_.assign(ids.begin(), ids.end());
  out.row_of_id_.reserve(ids.size());
  std::vector<int64_t> source(ids.size());  // Row of this table, or -1.
  for (size_t i = 0; i < ids.size(); ++i) {
    out.row_of_id_.try_emplace(ids[i], static_cast<int64_t>(i));
    source[i] = FindRow(ids[i]).value_or(-1);
  }
  if (dropped != nullptr) {
    for (const std::string& id : item_ids_) {
      if (!out.row_of_id_.contains(id)) dropped->push_back(id);
    }
  }

  out.creation_timestamps_s_.reserve(ids.size());
  for (const int64_t row : source) {
    out.creation_timestamps_s_.push_back(row < 0 ? kMissingTimestamp : creation_timestamps_s_[row]);
  }
  out.numeric_.resize(numeric_.size());
  for (size_t c = 0; c < numeric_.size(); ++c) {
    std::vector<double>& values = out.numeric_[c].values;
    values.reserve(ids.size());
    for (const int64_t row : source) {
      values.push_back(row < 0 ? std::numeric_limits<double>::quiet_NaN()
                               : numeric_[c].values[row]);
    }
  }
  // Value ids are renumbered in first-seen order over the new rows.
  out.categorical_.resize(categorical_.size());
  for (size_t c = 0; c < categorical_.size(); ++c) {
    const CategoricalColumn& from = categorical_[c];
    CategoricalColumn& to = out.categorical_[c];
    std::vector<int32_t> new_id(from.values.size(), -1);
    to.row_offsets.reserve(ids.size() + 1);
    to.row_offsets.push_back(0);
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t row = source[i];
      if (row >= 0) {
        const size_t first = to.row_values.size();
        for (int64_t k = from.row_offsets[row]; k < from.row_offsets[row + 1]; ++k) {
          const int32_t old_id = from.row_values[k];
          if (new_id[old_id] < 0) {
            new_id[old_id] = static_cast<int32_t>(to.values.size());
            to.values.push_back(from.values[old_id]);
            to.value_ids.emplace(from.values[old_id], new_id[old_id]);
            to.rows_with_value.emplace_back();
          }
          to.row_values.push_back(new_id[old_id]);
          to.rows_with_value[new_id[old_id]].push_back(static_cast<int64_t>(i));
        }
        std::sort(to.row_values.begin() + static_cast<int64_t>(first), to.row_values.end());
      }
      to.row_offsets.push_back(static_cast<int64_t>(to.row_values.size()));
    }
  }
  out.IndexCommonValues();
  return out;
}

absl::StatusOr<ItemAttributes::Builder> ItemAttributes::Builder::Create(
    std::vector<AttributeField> fields) {
  if (fields.size() > static_cast<size_t>(kMaxAttributeFields)) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxAttributeFields, " fields (", fields.size(), ")"));
  }
  Builder builder;
  ItemAttributes& table = builder.table_;
  for (AttributeField& field : fields) {
    if (!internal::IsAttributeFieldName(field.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field name ", Quoted(field.name), " is not [A-Za-z_][A-Za-z0-9_]*"));
    }
    absl::AsciiStrToUpper(&field.name);
    if (field.name == "ITEM_ID" || field.name == "CREATION_TIMESTAMP") {
      return absl::InvalidArgumentError(
          absl::StrCat("field name ", field.name, " is reserved (a column of its own)"));
    }
    if (table.FindField(field.name).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate field name ", field.name));
    }
    if (field.kind == AttributeKind::kCategorical) {
      table.column_of_field_.push_back(static_cast<int>(table.categorical_.size()));
      table.categorical_.emplace_back().row_offsets.push_back(0);
    } else {
      table.column_of_field_.push_back(static_cast<int>(table.numeric_.size()));
      table.numeric_.emplace_back();
    }
    table.fields_.push_back(std::move(field));
  }
  return builder;
}

absl::Status ItemAttributes::Builder::AddRow(absl::string_view item_id, std::vector<Cell> cells,
                                             std::optional<int64_t> creation_timestamp_s) {
  ItemAttributes& t = table_;
  // Check everything first, so that a refused row leaves the table as it was.
  if (item_id.empty()) return CellError(internal::kItemIdCell, "empty item id");
  if (item_id.size() > internal::kMaxItemIdBytes) {
    return CellError(internal::kItemIdCell,
                     absl::StrCat("item id ", Quoted(item_id), " is longer than ",
                                  internal::kMaxItemIdBytes, " bytes (", item_id.size(), ")"));
  }
  for (const char c : item_id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return CellError(internal::kItemIdCell,
                       absl::StrCat("item id ", Quoted(item_id), " holds a control character"));
    }
  }
  if (cells.size() != t.fields_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", t.fields_.size(), " cells (one per field), got ", cells.size()));
  }
  for (size_t f = 0; f < cells.size(); ++f) {
    const int cell_index = static_cast<int>(f);
    const std::string& name = t.fields_[f].name;
    Cell& cell = cells[f];
    if (t.fields_[f].kind == AttributeKind::kNumeric) {
      if (!cell.values.empty()) {
        return CellError(cell_index, absl::StrCat("field ", name, ": values in a numeric cell"));
      }
      if (cell.number.has_value() && !std::isfinite(*cell.number)) {
        return CellError(
            cell_index, absl::StrCat("field ", name, ": not a finite number (", *cell.number, ")"));
      }
      continue;
    }
    if (cell.number.has_value()) {
      return CellError(cell_index,
                       absl::StrCat("field ", name, ": a number in a categorical cell"));
    }
    RemoveDuplicates(&cell.values);
    if (cell.values.size() > static_cast<size_t>(kMaxValuesPerItemField)) {
      return CellError(cell_index,
                       absl::StrCat("field ", name, ": more than ", kMaxValuesPerItemField,
                                    " values (", cell.values.size(), ")"));
    }
    const CategoricalColumn& column = t.categorical_[t.column_of_field_[f]];
    size_t new_values = 0;
    for (const std::string& value : cell.values) {
      if (std::optional<std::string> problem = ValueProblem(value)) {
        return CellError(cell_index, absl::StrCat("field ", name, ": ", *problem));
      }
      if (!column.value_ids.contains(value)) ++new_values;
    }
    if (column.values.size() + new_values > static_cast<size_t>(kMaxDistinctValues)) {
      return CellError(cell_index, absl::StrCat("field ", name, ": more than ", kMaxDistinctValues,
                                                " distinct values"));
    }
  }
  if (creation_timestamp_s.has_value() && *creation_timestamp_s < 0) {
    return CellError(
        internal::kTimestampCell,
        absl::StrCat("CREATION_TIMESTAMP: negative timestamp ", *creation_timestamp_s));
  }
  // The last check, as it inserts (one hash lookup per row).
  const int64_t row = t.num_rows();
  if (!t.row_of_id_.try_emplace(item_id, row).second) {
    return CellError(internal::kItemIdCell, absl::StrCat("duplicate item id ", Quoted(item_id)));
  }

  t.item_ids_.emplace_back(item_id);
  t.creation_timestamps_s_.push_back(creation_timestamp_s.value_or(kMissingTimestamp));
  for (size_t f = 0; f < cells.size(); ++f) {
    Cell& cell = cells[f];
    if (t.fields_[f].kind == AttributeKind::kNumeric) {
      t.numeric_[t.column_of_field_[f]].values.push_back(
          cell.number.value_or(std::numeric_limits<double>::quiet_NaN()));
      continue;
    }
    CategoricalColumn& column = t.categorical_[t.column_of_field_[f]];
    const size_t first = column.row_values.size();
    for (std::string& value : cell.values) {
      auto [it, inserted] =
          column.value_ids.try_emplace(value, static_cast<int32_t>(column.values.size()));
      if (inserted) {
        column.values.push_back(std::move(value));
        column.rows_with_value.emplace_back();
      }
      column.row_values.push_back(it->second);
      column.rows_with_value[it->second].push_back(row);
    }
    std::sort(column.row_values.begin() + static_cast<int64_t>(first), column.row_values.end());
    column.row_offsets.push_back(static_cast<int64_t>(column.row_values.size()));
  }
  return absl::OkStatus();
}

int64_t ItemAttributes::Builder::num_rows() const { return table_.num_rows(); }

ItemAttributes ItemAttributes::Builder::Build() && {
  table_.IndexCommonValues();
  return std::move(table_);
}

}  // namespace hrnn
