#include "core/data/dataset_writer.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace hrnn {
namespace {

std::string CsvField(absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(field);
  return absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
}

}  // namespace

std::string DatasetToCsv(const Dataset& data) {
  std::string out = "USER_ID,ITEM_ID,TIMESTAMP,SESSION_ID\n";
  for (const UserSpan& user : data.users) {
    const std::string user_field = CsvField(user.id);
    for (int64_t s = user.session_begin; s < user.session_end; ++s) {
      const std::string session_field =
          CsvField(absl::StrCat(user.id, ":", s - user.session_begin));
      const SessionSpan& span = data.sessions[s];
      for (int64_t e = span.begin; e < span.end; ++e) {
        absl::StrAppend(&out, user_field, ",", CsvField(data.item_ids[data.items[e]]), ",",
                        data.timestamps[e], ",", session_field, "\n");
      }
    }
  }
  return out;
}

absl::Status WriteDatasetCsv(const Dataset& data, const std::string& path) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open for writing"));
  const std::string text = DatasetToCsv(data);
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  if (!file) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace hrnn
