#include "core/model/tensor.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hrnn {

std::string ShapeToString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace hrnn
