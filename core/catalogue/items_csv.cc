#include "core/catalogue/items_csv.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/file_chunks.h"
#include "core/base/status_macros.h"
#include "core/catalogue/internal/attribute_checks.h"
#include "core/catalogue/internal/csv_scanner.h"

namespace hrnn {
namespace {

using internal::CsvScanner;

using internal::Quoted;

absl::Status ErrorAt(absl::string_view source, int64_t line, int64_t column,
                     absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ":", column, ": ", reason));
}

absl::Status ErrorAt(absl::string_view source, const CsvScanner::Field& field,
                     absl::string_view reason) {
  return ErrorAt(source, field.line, field.column, reason);
}

absl::string_view TrimSpaces(absl::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// A finite decimal number ("12", "-0.5", "1e6"), the whole of `text`.
std::optional<double> ParseFiniteNumber(absl::string_view text) {
  double value = 0;
  const std::from_chars_result result =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Epoch seconds ("1700000000", "1700000000.75", "1.7e9"), truncated toward zero. Returns nullptr
// on success, else the reason.
const char* ParseTimestamp(absl::string_view text, int64_t* out) {
  size_t i = 0;
  int64_t seconds = 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    if (__builtin_mul_overflow(seconds, int64_t{10}, &seconds) ||
        __builtin_add_overflow(seconds, int64_t{text[i] - '0'}, &seconds)) {
      return "timestamp out of range";
    }
    ++i;
  }
  bool plain = i > 0;
  if (plain && i < text.size()) {
    plain = text[i] == '.';
    for (++i; plain && i < text.size(); ++i) {
      plain = absl::ascii_isdigit(static_cast<unsigned char>(text[i]));
    }
  }
  if (plain) {
    *out = seconds;
    return nullptr;
  }
  // Signs, exponents and other forms std::from_chars takes.
  double value = 0;
  const std::from_chars_result result =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size() || std::isnan(value)) {
    return "timestamp is not a number";
  }
  if (value < 0) return "negative timestamp";
  if (!(value < 9.2e18)) return "timestamp out of range";
  *out = static_cast<int64_t>(value);
  return nullptr;
}

enum class Declared { kAuto, kNumber, kCategory };

struct FieldColumn {
  std::string name;  // Upper case.
  Declared declared = Declared::kAuto;
  size_t index = 0;  // Of the column in a record.
  // Auto-detection: whether a cell was non-empty, whether every non-empty cell was a number.
  bool any_value = false;
  bool all_numbers = true;

  AttributeKind kind() const {
    const bool numeric =
        declared == Declared::kNumber || (declared == Declared::kAuto && any_value && all_numbers);
    return numeric ? AttributeKind::kNumeric : AttributeKind::kCategorical;
  }
};

struct Header {
  size_t num_columns = 0;
  size_t item_id = 0;
  std::optional<size_t> timestamp;
  std::vector<FieldColumn> fields;
};

absl::StatusOr<Header> ParseHeader(const std::vector<CsvScanner::Field>& record,
                                   absl::string_view source) {
  Header header;
  header.num_columns = record.size();
  std::optional<size_t> item_id;
  absl::flat_hash_set<std::string> names;
  for (size_t c = 0; c < record.size(); ++c) {
    const CsvScanner::Field& cell = record[c];
    const absl::string_view text = absl::StripAsciiWhitespace(cell.text);
    const size_t colon = text.find(':');
    const absl::string_view name = absl::StripAsciiWhitespace(text.substr(0, colon));
    if (!internal::IsAttributeFieldName(name)) {
      return ErrorAt(source, cell,
                     absl::StrCat("column name ", Quoted(name), " is not [A-Za-z_][A-Za-z0-9_]*"));
    }
    const std::string upper = absl::AsciiStrToUpper(name);
    if (!names.insert(upper).second) {
      return ErrorAt(source, cell, absl::StrCat("duplicate column ", upper));
    }
    if (upper == "ITEM_ID" || upper == "CREATION_TIMESTAMP") {
      if (colon != absl::string_view::npos) {
        return ErrorAt(source, cell, absl::StrCat("column ", upper, " takes no type suffix"));
      }
      (upper == "ITEM_ID" ? item_id : header.timestamp) = c;
      continue;
    }
    FieldColumn field;
    field.name = upper;
    field.index = c;
    if (colon != absl::string_view::npos) {
      const std::string suffix =
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(colon + 1)));
      if (suffix == "number") {
        field.declared = Declared::kNumber;
      } else if (suffix == "category") {
        field.declared = Declared::kCategory;
      } else {
        return ErrorAt(source, cell,
                       absl::StrCat("unknown type suffix ", Quoted(text.substr(colon)),
                                    " (expected :number or :category)"));
      }
    }
    if (header.fields.size() == static_cast<size_t>(kMaxAttributeFields)) {
      return ErrorAt(source, cell,
                     absl::StrCat("more than ", kMaxAttributeFields, " fields besides ITEM_ID"));
    }
    header.fields.push_back(std::move(field));
  }
  if (!item_id.has_value()) {
    return ErrorAt(source, record.front().line, record.front().column, "no ITEM_ID column");
  }
  header.item_id = *item_id;
  return header;
}

// Checks a record's field count; on a mismatch, the error names where the record goes wrong.
absl::Status CheckFieldCount(const CsvScanner& scanner, const Header& header,
                             absl::string_view source) {
  const std::vector<CsvScanner::Field>& record = scanner.fields();
  if (record.size() == header.num_columns) return absl::OkStatus();
  const std::string reason =
      absl::StrCat("the row has ", record.size(), " fields, the header ", header.num_columns);
  if (record.size() > header.num_columns) {
    return ErrorAt(source, record[header.num_columns], reason);
  }
  return ErrorAt(source, scanner.end_line(), scanner.end_column(), reason);
}

// Adds the record the scanner holds to `builder`.
absl::Status AddRecord(const CsvScanner& scanner, const Header& header, absl::string_view source,
                       ItemAttributes::Builder* builder) {
  const std::vector<CsvScanner::Field>& record = scanner.fields();
  std::vector<ItemAttributes::Builder::Cell> cells(header.fields.size());
  for (size_t f = 0; f < header.fields.size(); ++f) {
    const FieldColumn& column = header.fields[f];
    const absl::string_view text = TrimSpaces(record[column.index].text);
    if (text.empty()) continue;
    if (column.kind() == AttributeKind::kNumeric) {
      cells[f].number = ParseFiniteNumber(text);
      if (!cells[f].number.has_value()) {
        return ErrorAt(
            source, record[column.index],
            absl::StrCat("field ", column.name, ": ", Quoted(text), " is not a finite number"));
      }
      continue;
    }
    for (const absl::string_view value : absl::StrSplit(text, '|')) {
      cells[f].values.emplace_back(TrimSpaces(value));
    }
  }
  std::optional<int64_t> timestamp;
  if (header.timestamp.has_value()) {
    const CsvScanner::Field& cell = record[*header.timestamp];
    const absl::string_view text = TrimSpaces(cell.text);
    if (!text.empty()) {
      int64_t seconds = 0;
      if (const char* reason = ParseTimestamp(text, &seconds)) {
        return ErrorAt(source, cell,
                       absl::StrCat("CREATION_TIMESTAMP: ", reason, " (", Quoted(text), ")"));
      }
      timestamp = seconds;
    }
  }
  const absl::Status status =
      builder->AddRow(record[header.item_id].text, std::move(cells), timestamp);
  if (status.ok()) return status;
  const CsvScanner::Field* where = &record.front();
  if (const std::optional<int> cell = internal::RefusedCell(status)) {
    if (*cell == internal::kItemIdCell) {
      where = &record[header.item_id];
    } else if (*cell == internal::kTimestampCell && header.timestamp.has_value()) {
      where = &record[*header.timestamp];
    } else if (*cell >= 0 && static_cast<size_t>(*cell) < header.fields.size()) {
      where = &record[header.fields[*cell].index];
    }
  }
  return ErrorAt(source, *where, status.message());
}

bool NeedsQuotes(absl::string_view text) {
  return text.find_first_of(",\"\r\n") != absl::string_view::npos;
}

void AppendCsvField(absl::string_view text, std::string* out) {
  if (!NeedsQuotes(text)) {
    out->append(text.data(), text.size());
    return;
  }
  out->push_back('"');
  for (const char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Reads the whole file at `path`, gunzipping it when it starts with the gzip magic bytes. A file
// that is there but cannot be read (or decompressed) is InvalidArgument, as a malformed one.
absl::StatusOr<std::string> ReadFileContent(const std::string& path) {
  std::string content;
  const absl::Status read = ReadFileChunks(path, [&content](absl::string_view chunk) {
    content.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  });
  if (read.ok()) return content;
  if (absl::IsNotFound(read)) return read;
  return absl::InvalidArgumentError(read.message());
}

}  // namespace

absl::StatusOr<ItemAttributes> ParseItemsCsv(absl::string_view content, absl::string_view source) {
  CsvScanner scanner(content);
  if (!scanner.Next()) {
    if (!scanner.ok()) {
      return ErrorAt(source, scanner.error().line, scanner.error().column, scanner.error().reason);
    }
    return ErrorAt(source, 1, 1, "empty input (no header line)");
  }
  HRNN_ASSIGN_OR_RETURN(Header header, ParseHeader(scanner.fields(), source));

  // Pass 1: the records' shape, and the kinds of the columns without a type suffix. It stops at
  // the first malformed record; pass 2 reports an error of an earlier row first.
  CsvScanner shape_scanner = scanner;
  int64_t good_rows = 0;
  absl::Status shape_error;
  while (shape_scanner.Next()) {
    shape_error = CheckFieldCount(shape_scanner, header, source);
    if (!shape_error.ok()) break;
    ++good_rows;
    for (FieldColumn& column : header.fields) {
      if (column.declared != Declared::kAuto || !column.all_numbers) continue;
      const absl::string_view text = TrimSpaces(shape_scanner.fields()[column.index].text);
      if (text.empty()) continue;
      column.any_value = true;
      column.all_numbers = ParseFiniteNumber(text).has_value();
    }
  }
  if (!shape_scanner.ok()) {
    const CsvScanner::Error& error = shape_scanner.error();
    shape_error = ErrorAt(source, error.line, error.column, error.reason);
  }

  // Pass 2: the rows.
  std::vector<AttributeField> fields;
  for (const FieldColumn& column : header.fields) fields.push_back({column.name, column.kind()});
  absl::StatusOr<ItemAttributes::Builder> builder = ItemAttributes::Builder::Create(fields);
  if (!builder.ok()) {  // Not expected: ParseHeader checks what Create does.
    return ErrorAt(source, scanner.fields().front(), builder.status().message());
  }
  for (int64_t row = 0; row < good_rows; ++row) {
    const bool read = scanner.Next();  // Pass 1 read this record.
    assert(read);
    (void)read;
    HRNN_RETURN_IF_ERROR(AddRecord(scanner, header, source, &*builder));
  }
  HRNN_RETURN_IF_ERROR(shape_error);
  return std::move(*builder).Build();
}

absl::StatusOr<ItemAttributes> ReadItemsCsvFile(const std::string& path) {
  HRNN_ASSIGN_OR_RETURN(const std::string content, ReadFileContent(path));
  return ParseItemsCsv(content, path);
}

std::string SerializeItemsCsv(const ItemAttributes& attributes) {
  const std::vector<AttributeField>& fields = attributes.fields();
  bool timestamps = false;
  for (int64_t row = 0; row < attributes.num_rows() && !timestamps; ++row) {
    timestamps = attributes.creation_timestamp_s(row).has_value();
  }
  std::string out = "ITEM_ID";
  for (const AttributeField& field : fields) {
    absl::StrAppend(&out, ",", field.name,
                    field.kind == AttributeKind::kNumeric ? ":number" : ":category");
  }
  if (timestamps) out += ",CREATION_TIMESTAMP";
  out += "\n";
  std::string cell;
  char number[64];
  for (int64_t row = 0; row < attributes.num_rows(); ++row) {
    AppendCsvField(attributes.item_id(row), &out);
    for (size_t f = 0; f < fields.size(); ++f) {
      const int field = static_cast<int>(f);
      out += ',';
      if (fields[f].kind == AttributeKind::kNumeric) {
        if (const std::optional<double> value = attributes.Numeric(row, field)) {
          out.append(number, std::to_chars(number, number + sizeof(number), *value).ptr);
        }
        continue;
      }
      cell.clear();
      for (const int32_t value : attributes.RowValues(row, field)) {
        if (!cell.empty()) cell += '|';
        cell += attributes.value(field, value);
      }
      AppendCsvField(cell, &out);
    }
    if (timestamps) {
      out += ',';
      if (const std::optional<int64_t> seconds = attributes.creation_timestamp_s(row)) {
        absl::StrAppend(&out, *seconds);
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace hrnn
