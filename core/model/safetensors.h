// The safetensors file format of weights.safetensors (DESIGN §4), restricted to float32 tensors,
// so that PyTorch tooling (safetensors.torch) can read and write our weights.
// Stateless functions; safe to call concurrently.
//
// Layout of a file (all integers little-endian):
//   1. 8 bytes: uint64 N, the length in bytes of the header that follows.
//   2. N bytes: the header, a UTF-8 JSON object, right-padded with spaces (0x20):
//        {"__metadata__": {string: string, ...},                  (optional)
//         "<tensor name>": {"dtype": "F32",
//                           "shape": [d0, d1, ...],               (non-negative integers)
//                           "data_offsets": [begin, end]},       (unsigned integers)
//         ...}
//   3. The data buffer: the rest of the file. Tensor t occupies bytes [begin, end) of the buffer
//      (offsets relative to the buffer start), row-major little-endian float32, so
//      end - begin == 4 * d0 * d1 * ... (1 element for shape []). The tensors cover the buffer
//      exactly: no overlaps, no holes, no trailing bytes.
// Our writer lays the tensors out contiguously in name order and pads the header so that the
// buffer starts at an offset that is a multiple of 8.
#ifndef HRNN_CORE_MODEL_SAFETENSORS_H_
#define HRNN_CORE_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model/model.h"

namespace hrnn {

// Headers longer than this are refused as corrupt.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100 * 1000 * 1000;

// Returns the bytes of a safetensors file holding `tensors` (dtype F32) and, when non-empty,
// `metadata` as "__metadata__". REQUIRES: tensor names and metadata are valid UTF-8, no tensor
// is named "__metadata__", and each tensor's values.size() == NumElements().
std::string SerializeSafetensors(const TensorMap& tensors,
                                 const std::map<std::string, std::string>& metadata = {});

// Parses a safetensors file. When `metadata` is not null it receives "__metadata__" (empty when
// absent). Errors (InvalidArgument, naming the tensor where one is at fault): the file is shorter
// than 8 bytes; the header length exceeds the file or kMaxSafetensorsHeaderBytes; the header is
// not a JSON object; an entry lacks dtype/shape/data_offsets or has them ill-typed; a dtype other
// than F32; a negative dimension or an element count that overflows; end < begin; offsets
// beyond the buffer; a byte size other than 4 * elements; overlapping tensors, holes or trailing
// bytes in the buffer; "__metadata__" that is not an object of strings.
absl::StatusOr<TensorMap> ParseSafetensors(absl::string_view bytes,
                                           std::map<std::string, std::string>* metadata = nullptr);

}  // namespace hrnn

#endif  // HRNN_CORE_MODEL_SAFETENSORS_H_
