#include "core/model/item_vocabulary.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hrnn {

absl::StatusOr<ItemVocabulary> ItemVocabulary::Create(std::vector<std::string> ids,
                                                      std::vector<int64_t> popularity) {
  if (ids.size() != popularity.size()) {
    return absl::InvalidArgumentError(absl::StrCat("item vocabulary: ", ids.size(), " ids but ",
                                                   popularity.size(), " popularity values"));
  }
  ItemVocabulary vocabulary;
  vocabulary.index_of_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    if (id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("item vocabulary: empty item id at index ", i));
    }
    if (id.find_first_of("\t\n\r") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("item vocabulary: item id \"", absl::CEscape(id), "\" at index ", i,
                       " contains a tab, newline or carriage return"));
    }
    const auto [it, inserted] = vocabulary.index_of_.emplace(id, static_cast<int64_t>(i));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("item vocabulary: duplicate item id \"", id,
                                                     "\" at indices ", it->second, " and ", i));
    }
  }
  vocabulary.ids_ = std::move(ids);
  vocabulary.popularity_ = std::move(popularity);
  return vocabulary;
}

std::optional<int64_t> ItemVocabulary::Find(absl::string_view id) const {
  const auto it = index_of_.find(id);
  if (it == index_of_.end()) return std::nullopt;
  return it->second;
}

}  // namespace hrnn
