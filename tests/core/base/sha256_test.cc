#include "core/base/sha256.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hrnn {
namespace {

// FIPS 180-2 / NIST test vectors.
TEST(Sha256Test, EmptyMessage) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage448Bits) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, FourBlockMessage896Bits) {
  EXPECT_EQ(Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, OneMillionAs) {
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, OneMillionAsStreamedInOddChunks) {
  Sha256 hasher;
  const std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = std::min(left, chunk.size());
    hasher.Update(absl::string_view(chunk).substr(0, n));
    left -= n;
  }
  EXPECT_EQ(DigestToHex(hasher.Final()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Messages of every length around the block and padding boundaries, fed in every split, give
// the one-shot digest.
TEST(Sha256Test, ChunkedUpdatesEqualOneShot) {
  std::string message;
  for (int i = 0; i < 200; ++i) message.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  for (size_t length : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129, 200}) {
    const absl::string_view m = absl::string_view(message).substr(0, length);
    const std::string expected = Sha256Hex(m);
    for (size_t split = 0; split <= length; split += 7) {
      Sha256 hasher;
      hasher.Update(m.substr(0, split));
      hasher.Update(m.substr(split));
      EXPECT_EQ(DigestToHex(hasher.Final()), expected) << "length " << length << " split " << split;
    }
    Sha256 bytewise;
    for (char c : m) bytewise.Update(&c, 1);
    EXPECT_EQ(DigestToHex(bytewise.Final()), expected) << "length " << length << " byte by byte";
  }
}

TEST(Sha256Test, ResetStartsANewMessage) {
  Sha256 hasher;
  hasher.Update("garbage");
  hasher.Final();
  hasher.Reset();
  hasher.Update("abc");
  EXPECT_EQ(DigestToHex(hasher.Final()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, DifferentMessagesDiffer) { EXPECT_NE(Sha256Hex("abc"), Sha256Hex("abd")); }

}  // namespace
}  // namespace hrnn
