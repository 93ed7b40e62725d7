#include "core/model/safetensors.h"

#include <cstring>
#include <limits>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string Uint64Le(uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

// A file with `header` as the JSON text and `data` as the buffer.
std::string RawFile(const std::string& header, const std::string& data) {
  return Uint64Le(header.size()) + header + data;
}

std::string Floats(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), std::data(values), out.size());
  return out;
}

Tensor MakeTensor(std::vector<int64_t> shape, float start) {
  Tensor t(std::move(shape));
  for (size_t i = 0; i < t.values.size(); ++i) t.values[i] = start + 0.5f * static_cast<float>(i);
  return t;
}

TEST(SafetensorsTest, RoundTripsTensorsAndMetadata) {
  TensorMap tensors;
  tensors["b.matrix"] = MakeTensor({3, 4}, -1.0f);
  tensors["a.vector"] = MakeTensor({5}, 2.0f);
  tensors["c.scalar"] = MakeTensor({}, 7.0f);
  tensors["d.empty"] = MakeTensor({0, 3}, 0.0f);
  tensors["e.extreme"] = Tensor({3});
  tensors["e.extreme"].values = {std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::denorm_min(), -0.0f};
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "héllo"}};
  const std::string bytes = SerializeSafetensors(tensors, metadata);

  std::map<std::string, std::string> parsed_metadata;
  ASSERT_OK_AND_ASSIGN(TensorMap parsed, ParseSafetensors(bytes, &parsed_metadata));
  EXPECT_EQ(parsed, tensors);
  EXPECT_EQ(parsed_metadata, metadata);
  EXPECT_TRUE(std::signbit(parsed["e.extreme"].values[2]));
}

TEST(SafetensorsTest, RoundTripsEmptyMap) {
  const std::string bytes = SerializeSafetensors({});
  ASSERT_OK_AND_ASSIGN(TensorMap parsed, ParseSafetensors(bytes));
  EXPECT_TRUE(parsed.empty());
}

TEST(SafetensorsTest, LayoutFollowsTheSpec) {
  TensorMap tensors;
  tensors["z"] = MakeTensor({2}, 1.0f);  // 1.0, 1.5
  tensors["a"] = MakeTensor({1}, 3.0f);  // 3.0
  const std::string bytes = SerializeSafetensors(tensors);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | uint8_t(bytes[i]);
  // The buffer starts 8-byte aligned, and the header is padded with spaces only.
  EXPECT_EQ((8 + header_length) % 8, 0u);
  const std::string header = bytes.substr(8, header_length);
  const size_t last_brace = header.rfind('}');
  EXPECT_EQ(header.find_first_not_of(' ', last_brace + 1), std::string::npos);
  const json parsed = json::parse(header, nullptr, false);
  ASSERT_TRUE(parsed.is_object());
  // Name order: "a" first at offset 0, then "z".
  EXPECT_EQ(parsed["a"]["dtype"], "F32");
  EXPECT_EQ(parsed["a"]["shape"], json::array({1}));
  EXPECT_EQ(parsed["a"]["data_offsets"], json::array({0, 4}));
  EXPECT_EQ(parsed["z"]["data_offsets"], json::array({4, 12}));
  EXPECT_FALSE(parsed.contains("__metadata__"));
  EXPECT_EQ(bytes.substr(8 + header_length), Floats({3.0f, 1.0f, 1.5f}));
}

// A file as PyTorch's safetensors writes it: unpadded header, tensors not in name order.
TEST(SafetensorsTest, ParsesForeignLayout) {
  const std::string header =
      R"({"w":{"dtype":"F32","shape":[2,1],"data_offsets":[4,12]},)"
      R"("b":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"__metadata__":{"format":"pt"}})";
  ASSERT_OK_AND_ASSIGN(TensorMap parsed,
                       ParseSafetensors(RawFile(header, Floats({9.0f, 1.0f, 2.0f}))));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_THAT(parsed["b"].values, ElementsAre(9.0f));
  EXPECT_TRUE(parsed["b"].shape.empty());
  EXPECT_THAT(parsed["w"].shape, ElementsAre(2, 1));
  EXPECT_THAT(parsed["w"].values, ElementsAre(1.0f, 2.0f));
}

// One entry "t" with the given fields, and `data` as the buffer.
std::string OneTensorFile(const std::string& entry, const std::string& data) {
  return RawFile(R"({"t":)" + entry + "}", data);
}

TEST(SafetensorsTest, RejectsFileShorterThanLengthField) {
  EXPECT_THAT(ParseSafetensors("abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, "3 bytes, shorter than the 8-byte"));
}

TEST(SafetensorsTest, RejectsHeaderLengthBeyondFile) {
  EXPECT_THAT(
      ParseSafetensors(Uint64Le(100) + "{}"),
      StatusIs(absl::StatusCode::kInvalidArgument, "header length 100 exceeds the 2 bytes"));
}

TEST(SafetensorsTest, RejectsAbsurdHeaderLength) {
  EXPECT_THAT(ParseSafetensors(Uint64Le(uint64_t{1} << 40) + "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "exceeds the limit"));
}

TEST(SafetensorsTest, RejectsGarbageWithWrongMagic) {
  // A zip file's magic: its first 8 bytes read as an absurd header length.
  const std::string garbage = std::string("PK\x03\x04\x14\x00\x00\x00", 8) + "whatever data";
  EXPECT_THAT(ParseSafetensors(garbage),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a safetensors file?"));
}

TEST(SafetensorsTest, RejectsHeaderThatIsNotJson) {
  EXPECT_THAT(ParseSafetensors(RawFile("{\"t\": nonsense", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, "header is not valid JSON"));
}

TEST(SafetensorsTest, RejectsHeaderThatIsNotAnObject) {
  EXPECT_THAT(ParseSafetensors(RawFile("[1, 2]  ", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, "header is not a JSON object"));
}

TEST(SafetensorsTest, RejectsEntryThatIsNotAnObject) {
  EXPECT_THAT(ParseSafetensors(OneTensorFile("42", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": entry must be"));
}

TEST(SafetensorsTest, RejectsMissingDtype) {
  EXPECT_THAT(ParseSafetensors(OneTensorFile(R"({"shape":[1],"data_offsets":[0,4]})", Floats({1}))),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": missing \"dtype\""));
}

TEST(SafetensorsTest, RejectsMissingShape) {
  EXPECT_THAT(
      ParseSafetensors(OneTensorFile(R"({"dtype":"F32","data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": missing \"shape\""));
}

TEST(SafetensorsTest, RejectsMissingDataOffsets) {
  EXPECT_THAT(
      ParseSafetensors(OneTensorFile(R"({"dtype":"F32","shape":[1]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": missing \"data_offsets\""));
}

TEST(SafetensorsTest, RejectsDtypeThatIsNotAString) {
  EXPECT_THAT(ParseSafetensors(
                  OneTensorFile(R"({"dtype":32,"shape":[1],"data_offsets":[0,4]})", Floats({1}))),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": \"dtype\" must be"));
}

TEST(SafetensorsTest, RejectsShapeThatIsNotAnArray) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": \"shape\" must be an array"));
}

TEST(SafetensorsTest, RejectsNonIntegerDimension) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": shape index 0 is not an"));
}

TEST(SafetensorsTest, RejectsDataOffsetsOfWrongArity) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": \"data_offsets\" must be"));
}

TEST(SafetensorsTest, RejectsNegativeDataOffset) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": \"data_offsets\" must hold"));
}

TEST(SafetensorsTest, RejectsDtypeOtherThanF32) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F16","shape":[2],"data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": dtype \"F16\" is not supported"));
}

TEST(SafetensorsTest, RejectsNegativeDimension) {
  EXPECT_THAT(ParseSafetensors(OneTensorFile(
                  R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]})", Floats({1}))),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": negative dimension -1"));
}

TEST(SafetensorsTest, RejectsOverflowingElementCount) {
  EXPECT_THAT(
      ParseSafetensors(OneTensorFile(
          R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": element count overflows"));
  // Fits int64 as elements, but not as bytes.
  EXPECT_THAT(
      ParseSafetensors(OneTensorFile(
          R"({"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": element count overflows"));
}

TEST(SafetensorsTest, RejectsEndBeforeBegin) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})", Floats({1, 2}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": data_offsets end 0 < begin 4"));
}

TEST(SafetensorsTest, RejectsOffsetsBeyondBuffer) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", Floats({1}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": data_offsets [0, 8) lie beyond"));
}

TEST(SafetensorsTest, RejectsByteSizeThatDoesNotMatchShape) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", Floats({1, 2}))),
      StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"t\": data_offsets span 8 bytes"));
}

TEST(SafetensorsTest, RejectsOverlappingTensors) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_THAT(ParseSafetensors(RawFile(header, Floats({1, 2, 3}))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tensor \"b\" at bytes [4, 12) overlaps tensor \"a\""));
}

TEST(SafetensorsTest, RejectsHoleInBuffer) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_THAT(ParseSafetensors(RawFile(header, Floats({1, 2, 3}))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "hole in the data buffer at bytes [4, 8) before tensor \"b\""));
}

TEST(SafetensorsTest, RejectsTrailingBytes) {
  EXPECT_THAT(
      ParseSafetensors(
          OneTensorFile(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})", Floats({1}) + "xy")),
      StatusIs(absl::StatusCode::kInvalidArgument, "2 trailing bytes after the last tensor \"t\""));
}

TEST(SafetensorsTest, RejectsMetadataWithNonStringValue) {
  EXPECT_THAT(ParseSafetensors(RawFile(R"({"__metadata__":{"epochs":3}})", "")),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"__metadata__\" value of \"epochs\""));
}

TEST(SafetensorsTest, RejectsTruncatedFile) {
  TensorMap tensors;
  tensors["a"] = MakeTensor({4}, 0.0f);
  tensors["b"] = MakeTensor({4}, 1.0f);
  const std::string bytes = SerializeSafetensors(tensors);
  EXPECT_THAT(ParseSafetensors(absl::string_view(bytes).substr(0, bytes.size() - 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, "tensor \"b\": data_offsets [16, 32)"));
  // Cut inside the header.
  EXPECT_THAT(ParseSafetensors(absl::string_view(bytes).substr(0, 20)),
              StatusIs(absl::StatusCode::kInvalidArgument, "(truncated?)"));
}

// Every prefix of a valid file is refused, and no prefix crashes the parser.
TEST(SafetensorsTest, RejectsEveryStrictPrefix) {
  TensorMap tensors;
  tensors["a"] = MakeTensor({2, 2}, 0.0f);
  const std::string bytes = SerializeSafetensors(tensors);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ParseSafetensors(absl::string_view(bytes).substr(0, n)).ok()) << "prefix " << n;
  }
}

}  // namespace
}  // namespace hrnn
