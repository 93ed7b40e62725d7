// CsvScanner: splits RFC 4180 text into records for the items CSV reader. Fields are separated
// by ","; a field may be "quoted", with "" for a quote and line breaks inside; a record ends
// with "\n", "\r\n" or the end of the text; empty lines are skipped, and so is a UTF-8 byte
// order mark at the start. Positions are 1-based physical lines and byte columns. One scanner
// is used by one thread at a time; a copy scans on independently from the same place.
#ifndef HRNN_CORE_CATALOGUE_INTERNAL_CSV_SCANNER_H_
#define HRNN_CORE_CATALOGUE_INTERNAL_CSV_SCANNER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hrnn::internal {

class CsvScanner {
 public:
  struct Field {
    // The field without its quotes: a view into the text or, for a quoted field holding "",
    // into the scanner's buffer. Valid until the next call to Next() or the scanner's end.
    absl::string_view text;
    int64_t line = 0;  // Where the field starts (its opening quote when quoted).
    int64_t column = 0;
  };
  struct Error {
    int64_t line = 0;  // Where the offending field starts.
    int64_t column = 0;
    const char* reason = "";
  };

  // REQUIRES: `text` outlives the scanner and its copies.
  explicit CsvScanner(absl::string_view text);

  // Reads the next record into fields(). Returns false at the end of the text, or at a
  // malformed record (an unterminated quote, a character after a closing quote), then ok() is
  // false and error() says where and why.
  bool Next();

  const std::vector<Field>& fields() const { return fields_; }
  // The position just past the last byte of the record read last (before its line break).
  int64_t end_line() const { return end_line_; }
  int64_t end_column() const { return end_column_; }

  bool ok() const { return !failed_; }
  const Error& error() const { return error_; }

 private:
  int64_t Column(size_t offset) const { return static_cast<int64_t>(offset - line_start_) + 1; }
  // Skips a line break ("\n" or "\r\n") at pos_; false when there is none.
  bool SkipLineBreak();
  // Reads the quoted field starting at pos_ into fields_.back(); false on an error.
  bool ReadQuoted();

  absl::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  size_t line_start_ = 0;  // Offset of the first byte of line_.
  std::vector<Field> fields_;
  struct Unescaped {  // A field whose text lies in unescaped_.
    size_t field = 0;
    size_t begin = 0;
    size_t size = 0;
  };
  std::vector<Unescaped> unescaped_fields_;
  std::string unescaped_;
  int64_t end_line_ = 0;
  int64_t end_column_ = 0;
  bool failed_ = false;
  Error error_;
};

}  // namespace hrnn::internal

#endif  // HRNN_CORE_CATALOGUE_INTERNAL_CSV_SCANNER_H_
