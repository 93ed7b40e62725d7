// ItemAttributes: the item metadata of a catalogue (Personalize's items dataset), one row per
// item: categorical fields (each a set of string values, e.g. COLOR = {red, navy}), numeric
// fields (one finite double, or missing) and an optional creation time. Each categorical field
// keeps a dictionary of its values and, per value, the rows that hold it, so that a filter asks
// "which items have COLOR red" in O(items with it) or O(rows / 64) words, never string work.
//
// Built once by ItemAttributes::Builder (the items CSV reader, hrnn-train, the model loader),
// then immutable: a const ItemAttributes is safe to read from any number of threads. A Builder
// is not synchronised.
#ifndef HRNN_CORE_CATALOGUE_ITEM_ATTRIBUTES_H_
#define HRNN_CORE_CATALOGUE_ITEM_ATTRIBUTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hrnn {

enum class AttributeKind { kCategorical, kNumeric };

// "categorical" or "numeric".
absl::string_view AttributeKindName(AttributeKind kind);

struct AttributeField {
  std::string name;  // Upper case, as Personalize spells fields: [A-Z_][A-Z0-9_]*.
  AttributeKind kind = AttributeKind::kCategorical;
};

// Limits that keep one catalogue's metadata bounded (a bad file is refused, not swallowed).
inline constexpr int kMaxAttributeFields = 64;         // Fields besides ITEM_ID.
inline constexpr int kMaxValuesPerItemField = 64;      // Values of one categorical cell.
inline constexpr int kMaxAttributeValueBytes = 256;    // One categorical value.
inline constexpr int32_t kMaxDistinctValues = 100000;  // Distinct values of one field.

class ItemAttributes {
 public:
  class Builder;

  ItemAttributes() = default;  // No fields, no rows.

  const std::vector<AttributeField>& fields() const { return fields_; }
  // The index of the field named `name` (case-insensitive), or nullopt.
  std::optional<int> FindField(absl::string_view name) const;

  int64_t num_rows() const { return static_cast<int64_t>(item_ids_.size()); }
  // REQUIRES: 0 <= row < num_rows().
  const std::string& item_id(int64_t row) const { return item_ids_[row]; }
  // The row of `item_id`, or nullopt.
  std::optional<int64_t> FindRow(absl::string_view item_id) const;

  // Categorical fields. REQUIRES: fields()[field].kind == kCategorical.
  // The field's distinct values, by value id 0..n-1 (first-seen order).
  int32_t num_values(int field) const;
  // REQUIRES: 0 <= value < num_values(field).
  const std::string& value(int field, int32_t value) const;
  // The id of `value` in `field` (exact, case-sensitive match), or nullopt.
  std::optional<int32_t> FindValue(int field, absl::string_view value) const;
  // The value ids of `row` in `field`, ascending, without duplicates (empty: missing).
  absl::Span<const int32_t> RowValues(int64_t row, int field) const;
  // The rows that hold `value` in `field`, ascending.
  absl::Span<const int64_t> RowsWithValue(int field, int32_t value) const;
  // The same rows as a bitmask ((num_rows() + 63) / 64 words, bit r of word r / 64) when the
  // value is common — held by at least 1/32 of the rows, the field's 64 most common such values
  // — so that a filter ORs words instead of setting a bit per row; empty otherwise.
  absl::Span<const uint64_t> ValueBits(int field, int32_t value) const;

  // Numeric fields. REQUIRES: fields()[field].kind == kNumeric.
  // The value of `row`, or nullopt when missing.
  std::optional<double> Numeric(int64_t row, int field) const;
  // The whole column, one double per row, NaN where missing (so every comparison with a missing
  // value is false): what per-row scans read.
  absl::Span<const double> NumericColumn(int field) const;

  // CREATION_TIMESTAMP of `row` in epoch seconds, or nullopt when the file had none for it.
  std::optional<int64_t> creation_timestamp_s(int64_t row) const;

  // A copy whose row i is item ids[i] (rows for ids this table does not hold have every field
  // missing): the table aligned to a model's item vocabulary, so that rows are item indices.
  // The fields are the same; each categorical field's value ids are renumbered in first-seen
  // order over the new rows, and values no new row holds are left out. Rows of this table whose
  // id is not in `ids` are dropped and, when `dropped` is not null, their ids are appended to it
  // (in row order). An id repeated in `ids` gets the item's values in each of its rows;
  // FindRow gives the first.
  ItemAttributes AlignedTo(absl::Span<const std::string> ids,
                           std::vector<std::string>* dropped = nullptr) const;

 private:
  struct CategoricalColumn {
    std::vector<std::string> values;
    absl::flat_hash_map<std::string, int32_t> value_ids;
    std::vector<int64_t> row_offsets;                   // num_rows + 1 offsets into row_values.
    std::vector<int32_t> row_values;                    // Each row's value ids, ascending.
    std::vector<std::vector<int64_t>> rows_with_value;  // Per value id, ascending rows.
    std::vector<std::vector<uint64_t>> value_bits;      // Per value id; empty unless common.
  };
  // Builds every categorical column's value_bits from rows_with_value (after Build and
  // AlignedTo, the two ways a table is finished).
  void IndexCommonValues();
  struct NumericValues {
    std::vector<double> values;  // NaN = missing.
  };

  std::vector<AttributeField> fields_;
  std::vector<int> column_of_field_;  // Index into categorical_ or numeric_, by field.
  std::vector<CategoricalColumn> categorical_;
  std::vector<NumericValues> numeric_;
  std::vector<std::string> item_ids_;
  absl::flat_hash_map<std::string, int64_t> row_of_id_;
  std::vector<int64_t> creation_timestamps_s_;  // INT64_MIN = missing.
};

// Adds rows one by one, then Build(). Not synchronised.
class ItemAttributes::Builder {
 public:
  // Errors (InvalidArgument): more than kMaxAttributeFields fields, a name that is not
  // [A-Za-z_][A-Za-z0-9_]* (it is stored upper-cased), a name used twice (case-insensitive), or
  // a field named ITEM_ID or CREATION_TIMESTAMP (those are columns of their own).
  static absl::StatusOr<Builder> Create(std::vector<AttributeField> fields);

  // One categorical or numeric cell of a row being added.
  struct Cell {
    std::vector<std::string> values;  // Categorical: the cell's values (may be empty: missing).
    std::optional<double> number;     // Numeric: the value, or nullopt when missing.
  };
  // Adds a row. `cells` has one entry per field, in field order. Errors (InvalidArgument,
  // naming the field; a refused row leaves the table as it was): an empty or duplicate item id,
  // an id longer than 256 bytes or holding a control character (a byte < 0x20 or 0x7f), a
  // wrong number of cells, a cell of the other kind (values in a numeric cell, a number in a
  // categorical one), a categorical cell with more than kMaxValuesPerItemField values, an empty
  // value, one longer than kMaxAttributeValueBytes, one holding "|" or with leading or trailing
  // spaces (the items CSV could not write it back: "|" separates values and the reader trims
  // spaces), a field past kMaxDistinctValues distinct values, a non-finite number, a negative
  // timestamp. A duplicate value within one cell counts once.
  absl::Status AddRow(absl::string_view item_id, std::vector<Cell> cells,
                      std::optional<int64_t> creation_timestamp_s = std::nullopt);

  int64_t num_rows() const;
  ItemAttributes Build() &&;

 private:
  Builder() = default;
  ItemAttributes table_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_CATALOGUE_ITEM_ATTRIBUTES_H_
