#include "core/model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace hrnn {
namespace {

// Tensor data is copied with memcpy, which is only correct on a little-endian host.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

using json = nlohmann::json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr size_t kLengthBytes = 8;

void AppendUint64Le(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadUint64Le(const char* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

absl::Status TensorError(const std::string& name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("safetensors: tensor \"", name, "\": ", what));
}

// Where one tensor's bytes lie in the data buffer.
struct Extent {
  std::string name;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Reads a non-negative integer that fits int64 (JSON "unsigned" numbers).
bool GetNonNegativeInt(const json& value, int64_t* out) {
  if (!value.is_number_unsigned()) return false;
  const uint64_t u = value.get<uint64_t>();
  if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = static_cast<int64_t>(u);
  return true;
}

absl::Status ParseMetadata(const json& value, std::map<std::string, std::string>* metadata) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError("safetensors: \"__metadata__\" must be a JSON object");
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("safetensors: \"__metadata__\" value of \"",
                                                     it.key(), "\" must be a string"));
    }
    if (metadata != nullptr) (*metadata)[it.key()] = it.value().get<std::string>();
  }
  return absl::OkStatus();
}

// Validates one header entry and returns its tensor (with zeroed values) and extent.
absl::Status ParseEntry(const std::string& name, const json& entry, uint64_t buffer_size,
                        Tensor* tensor, Extent* extent) {
  if (!entry.is_object()) return TensorError(name, "entry must be a JSON object");
  const auto dtype = entry.find("dtype");
  if (dtype == entry.end()) return TensorError(name, "missing \"dtype\"");
  if (!dtype->is_string()) return TensorError(name, "\"dtype\" must be a string");
  const auto shape = entry.find("shape");
  if (shape == entry.end()) return TensorError(name, "missing \"shape\"");
  if (!shape->is_array()) return TensorError(name, "\"shape\" must be an array of integers");
  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end()) return TensorError(name, "missing \"data_offsets\"");
  if (!offsets->is_array() || offsets->size() != 2) {
    return TensorError(name, "\"data_offsets\" must be an array [begin, end]");
  }

  const std::string& dtype_name = dtype->get_ref<const std::string&>();
  if (dtype_name != "F32") {
    return TensorError(name,
                       absl::StrCat("dtype \"", dtype_name, "\" is not supported (only F32)"));
  }

  tensor->shape.clear();
  int64_t elements = 1;
  for (size_t i = 0; i < shape->size(); ++i) {
    const json& dim = (*shape)[i];
    if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<int64_t>() < 0) {
      return TensorError(
          name, absl::StrCat("negative dimension ", dim.get<int64_t>(), " at shape index ", i));
    }
    int64_t d = 0;
    if (!GetNonNegativeInt(dim, &d)) {
      return TensorError(name,
                         absl::StrCat("shape index ", i, " is not an integer in int64 range"));
    }
    tensor->shape.push_back(d);
    if (__builtin_mul_overflow(elements, d, &elements)) {
      return TensorError(name, "element count overflows");
    }
  }
  int64_t expected_bytes = 0;
  if (__builtin_mul_overflow(elements, int64_t{4}, &expected_bytes)) {
    return TensorError(name, "element count overflows");
  }

  uint64_t range[2];
  for (int i = 0; i < 2; ++i) {
    const json& offset = (*offsets)[i];
    if (!offset.is_number_unsigned()) {
      return TensorError(name, "\"data_offsets\" must hold two non-negative integers");
    }
    range[i] = offset.get<uint64_t>();
  }
  if (range[1] < range[0]) {
    return TensorError(name, absl::StrCat("data_offsets end ", range[1], " < begin ", range[0]));
  }
  if (range[1] > buffer_size) {
    return TensorError(name,
                       absl::StrCat("data_offsets [", range[0], ", ", range[1], ") lie beyond the ",
                                    buffer_size, "-byte data buffer (truncated file?)"));
  }
  if (range[1] - range[0] != static_cast<uint64_t>(expected_bytes)) {
    return TensorError(
        name, absl::StrCat("data_offsets span ", range[1] - range[0], " bytes, but shape ",
                           ShapeToString(tensor->shape), " of F32 needs ", expected_bytes));
  }
  tensor->values.assign(static_cast<size_t>(elements), 0.0f);
  extent->name = name;
  extent->begin = range[0];
  extent->end = range[1];
  return absl::OkStatus();
}

}  // namespace

std::string SerializeSafetensors(const TensorMap& tensors,
                                 const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const uint64_t bytes = tensor.values.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  // `replace` keeps dump() from throwing on invalid UTF-8 (a REQUIRES violation).
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.append((8 - (kLengthBytes + text.size()) % 8) % 8, ' ');

  std::string out;
  out.reserve(kLengthBytes + text.size() + offset);
  AppendUint64Le(text.size(), &out);
  out += text;
  for (const auto& [name, tensor] : tensors) {
    out.append(reinterpret_cast<const char*>(tensor.values.data()),
               tensor.values.size() * sizeof(float));
  }
  return out;
}

absl::StatusOr<TensorMap> ParseSafetensors(absl::string_view bytes,
                                           std::map<std::string, std::string>* metadata) {
  if (metadata != nullptr) metadata->clear();
  if (bytes.size() < kLengthBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "safetensors: file is ", bytes.size(), " bytes, shorter than the 8-byte header length"));
  }
  const uint64_t header_length = ReadUint64Le(bytes.data());
  if (header_length > kMaxSafetensorsHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("safetensors: header length ", header_length, " exceeds the limit of ",
                     kMaxSafetensorsHeaderBytes, " bytes (not a safetensors file?)"));
  }
  if (header_length > bytes.size() - kLengthBytes) {
    return absl::InvalidArgumentError(absl::StrCat("safetensors: header length ", header_length,
                                                   " exceeds the ", bytes.size() - kLengthBytes,
                                                   " bytes after the length field (truncated?)"));
  }
  const absl::string_view header_text = bytes.substr(kLengthBytes, header_length);
  const absl::string_view buffer = bytes.substr(kLengthBytes + header_length);

  const json header = json::parse(header_text.begin(), header_text.end(), nullptr,
                                  /*allow_exceptions=*/false);
  if (header.is_discarded()) {
    return absl::InvalidArgumentError("safetensors: header is not valid JSON");
  }
  if (!header.is_object()) {
    return absl::InvalidArgumentError("safetensors: header is not a JSON object");
  }

  TensorMap tensors;
  std::vector<Extent> extents;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == kMetadataKey) {
      if (absl::Status s = ParseMetadata(it.value(), metadata); !s.ok()) return s;
      continue;
    }
    Tensor tensor;
    Extent extent;
    if (absl::Status s = ParseEntry(it.key(), it.value(), buffer.size(), &tensor, &extent);
        !s.ok()) {
      return s;
    }
    extents.push_back(std::move(extent));
    tensors.emplace(it.key(), std::move(tensor));
  }

  // The tensors must tile the buffer exactly.
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  uint64_t covered = 0;
  const Extent* previous = nullptr;
  for (const Extent& extent : extents) {
    if (extent.begin < covered) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors: tensor \"", extent.name, "\" at bytes [", extent.begin, ", ",
                       extent.end, ") overlaps tensor \"", previous->name, "\" at [",
                       previous->begin, ", ", previous->end, ")"));
    }
    if (extent.begin > covered) {
      return absl::InvalidArgumentError(
          absl::StrCat("safetensors: hole in the data buffer at bytes [", covered, ", ",
                       extent.begin, ") before tensor \"", extent.name, "\""));
    }
    covered = extent.end;
    previous = &extent;
  }
  if (covered != buffer.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "safetensors: ", buffer.size() - covered, " trailing bytes after the last tensor",
        previous != nullptr ? absl::StrCat(" \"", previous->name, "\"") : std::string()));
  }

  for (const Extent& extent : extents) {
    Tensor& tensor = tensors[extent.name];
    if (extent.end > extent.begin) {
      std::memcpy(tensor.values.data(), buffer.data() + extent.begin, extent.end - extent.begin);
    }
  }
  return tensors;
}

}  // namespace hrnn
