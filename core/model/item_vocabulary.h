// ItemVocabulary: maps the catalogue's string item ids to dense indices 0..N-1 and back, with
// each item's training popularity (items.tsv in a model directory, DESIGN §4).
// Immutable after Create(); safe for concurrent reads.
#ifndef HRNN_CORE_MODEL_ITEM_VOCABULARY_H_
#define HRNN_CORE_MODEL_ITEM_VOCABULARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hrnn {

class ItemVocabulary {
 public:
  ItemVocabulary() = default;

  // Builds a vocabulary where item i has id ids[i] and popularity popularity[i] (the number of
  // training events). Errors (InvalidArgument): sizes differ, an empty id, an id containing a
  // tab, newline or carriage return, or a duplicate id (the message names it and both indices).
  static absl::StatusOr<ItemVocabulary> Create(std::vector<std::string> ids,
                                               std::vector<int64_t> popularity);

  int64_t size() const { return static_cast<int64_t>(ids_.size()); }
  // REQUIRES: 0 <= index < size().
  const std::string& id(int64_t index) const { return ids_[index]; }
  int64_t popularity(int64_t index) const { return popularity_[index]; }
  const std::vector<int64_t>& popularities() const { return popularity_; }
  // The index of `id`, or nullopt when the model does not know the item.
  std::optional<int64_t> Find(absl::string_view id) const;

 private:
  std::vector<std::string> ids_;
  std::vector<int64_t> popularity_;
  absl::flat_hash_map<std::string, int64_t> index_of_;
};

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_ITEM_VOCABULARY_H_
