#include "core/catalogue/internal/csv_scanner.h"

#include <cstring>

#include "absl/strings/match.h"

namespace hrnn::internal {

CsvScanner::CsvScanner(absl::string_view text) : text_(text) {
  if (absl::StartsWith(text_, "\xEF\xBB\xBF")) pos_ = line_start_ = 3;
}

bool CsvScanner::SkipLineBreak() {
  if (pos_ < text_.size() && text_[pos_] == '\n') {
    pos_ += 1;
  } else if (pos_ + 1 < text_.size() && text_[pos_] == '\r' && text_[pos_ + 1] == '\n') {
    pos_ += 2;
  } else {
    return false;
  }
  ++line_;
  line_start_ = pos_;
  return true;
}

bool CsvScanner::ReadQuoted() {
  Field& field = fields_.back();
  const size_t open = pos_;
  const size_t begin = unescaped_.size();
  bool escaped = false;
  size_t from = open + 1;
  while (true) {
    const size_t quote = text_.find('"', from);
    if (quote == absl::string_view::npos) {
      failed_ = true;
      error_ = {field.line, field.column, "unterminated quoted field"};
      return false;
    }
    if (quote + 1 < text_.size() && text_[quote + 1] == '"') {
      escaped = true;
      unescaped_.append(text_.data() + from, quote + 1 - from);  // Up to one quote of the pair.
      from = quote + 2;
      continue;
    }
    if (escaped) {
      unescaped_.append(text_.data() + from, quote - from);
      unescaped_fields_.push_back({fields_.size() - 1, begin, unescaped_.size() - begin});
    } else {
      field.text = text_.substr(open + 1, quote - open - 1);
    }
    for (const char* p = text_.data() + open + 1; p < text_.data() + quote; ++p) {
      p = static_cast<const char*>(std::memchr(p, '\n', text_.data() + quote - p));
      if (p == nullptr) break;
      ++line_;
      line_start_ = static_cast<size_t>(p - text_.data()) + 1;
    }
    pos_ = quote + 1;
    return true;
  }
}

bool CsvScanner::Next() {
  fields_.clear();
  unescaped_fields_.clear();
  unescaped_.clear();
  if (failed_) return false;
  while (SkipLineBreak()) {
  }
  if (pos_ >= text_.size()) return false;
  const size_t size = text_.size();
  while (true) {
    Field& field = fields_.emplace_back();
    field.line = line_;
    field.column = Column(pos_);
    size_t end = 0;  // Just past the field's last byte.
    if (pos_ < size && text_[pos_] == '"') {
      if (!ReadQuoted()) return false;
      end = pos_;
      const bool at_end = pos_ == size || text_[pos_] == ',' || text_[pos_] == '\n' ||
                          (text_[pos_] == '\r' && (pos_ + 1 == size || text_[pos_ + 1] == '\n'));
      if (!at_end) {
        failed_ = true;
        error_ = {field.line, field.column, "unexpected character after a closing quote"};
        return false;
      }
    } else {
      size_t stop = pos_;
      while (stop < size && text_[stop] != ',' && text_[stop] != '\n') ++stop;
      end = stop;
      if ((stop == size || text_[stop] == '\n') && end > pos_ && text_[end - 1] == '\r') --end;
      field.text = text_.substr(pos_, end - pos_);
      pos_ = stop;
    }
    if (pos_ < size && text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    end_line_ = line_;
    end_column_ = Column(end);
    if (pos_ < size && text_[pos_] == '\r') ++pos_;
    if (pos_ < size && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
      line_start_ = pos_;
    }
    break;
  }
  for (const Unescaped& u : unescaped_fields_) {
    fields_[u.field].text = absl::string_view(unescaped_.data() + u.begin, u.size);
  }
  return true;
}

}  // namespace hrnn::internal
