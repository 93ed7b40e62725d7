// The users file of hrnn-batch (--users=FILE): whom to recommend for and, optionally, each
// user's values for the named filter's parameters. Stateless functions; safe to call
// concurrently.
//
// Layout (UTF-8 text; lines end with "\n" or "\r\n"; a UTF-8 byte order mark at the start is
// skipped; empty lines are skipped):
//   1. A plain list — one user id a line, as written (nothing is trimmed) — unless the first
//      line's first field is `user_id` (any case); a plain line may not hold ",".
//   2. Otherwise a CSV (RFC 4180 quoting: a field may be "quoted", with "" for a quote):
//      a. the header `user_id[,PARAM...]`: each PARAM a filter parameter's name as the filter
//         writes it after "$" (a leading "$" is accepted and dropped), [A-Za-z_][A-Za-z0-9_]*,
//         each at most once, at most kMaxUsersFileParameters of them;
//      b. one row per user with as many fields as the header: the user id, then for each PARAM
//         its values separated by "|", each trimmed of spaces and tabs and none empty (at most
//         kMaxUsersFileValues); an empty cell gives the user no value of its own for PARAM.
//   3. A user id is 1 or more bytes of valid UTF-8 without control characters (bytes < 0x20
//      and 0x7f); each user appears once.
// Whether the columns are the filter's parameters, and whether every user has a value for each
// of them, is checked against the filter (batch_recommender.h).
#ifndef HRNN_SERVER_BATCH_USERS_FILE_H_
#define HRNN_SERVER_BATCH_USERS_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

// Most parameter columns in a users CSV (as Filter.values takes at most 32 parameters).
inline constexpr int kMaxUsersFileParameters = 32;
// Most values in one cell (as a filter parameter takes at most 500).
inline constexpr int kMaxUsersFileValues = 500;

struct BatchUser {
  std::string user_id;
  int64_t line = 0;  // The 1-based line of the file where the user's row starts.
  // One entry per UsersFile::parameters, in that order: the cell's values (empty = none).
  std::vector<std::vector<std::string>> values;
};

struct UsersFile {
  std::string source;                   // The file's name, for messages ("SOURCE:LINE: ...").
  bool csv = false;                     // A CSV with a header (layout 2), else a plain list.
  std::vector<std::string> parameters;  // The CSV's parameter columns, in order, without "$".
  std::vector<BatchUser> users;         // In file order.
};

// Parses `content`; `source` names it in errors. Errors (InvalidArgument, the first one of the
// file, "SOURCE:LINE: reason" for a plain list, "SOURCE:LINE:COLUMN: reason" for a CSV, with
// the 1-based line and byte column where the offending field starts): a user id that is empty,
// not valid UTF-8, holds a control character, or (plain) a ","; a user listed twice (naming the
// first line); a bad, duplicate or surplus parameter column; a row with another number of fields
// than the header; an unterminated quote or a character after a closing quote; an empty value
// or too many values in a cell; a file without any user.
absl::StatusOr<UsersFile> ParseUsersFile(absl::string_view content, absl::string_view source);

// Reads and parses the file at `path` (source = path). Errors: NotFound (no such file) or
// InvalidArgument (not a regular file, unreadable), naming the path; and ParseUsersFile's.
absl::StatusOr<UsersFile> ReadUsersFile(const std::string& path);

}  // namespace hrnn

#endif  // HRNN_SERVER_BATCH_USERS_FILE_H_
