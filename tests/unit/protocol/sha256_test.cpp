// SHA-256 against the FIPS 180 / NIST example vectors, also streamed. The
// streaming properties at every padding boundary are in hash_block_test.
#include "stun/sha256.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "test_bytes.hpp"

namespace {

using pinhole::stun::sha256;
using pinhole::test::as_bytes;
using pinhole::test::to_hex;

static_assert(sha256::digest_size == 32);
static_assert(sha256::block_size == 64);
static_assert(std::tuple_size_v<sha256::digest> == 32);
static_assert(noexcept(sha256::hash(std::span<const std::byte>{})));

TEST(Sha256, OneBlockMessageAbc) {
  EXPECT_EQ(to_hex(sha256::hash(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(to_hex(sha256::hash({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessage448Bits) {
  // 56 bytes: the length field no longer fits, so padding spills into a second block.
  EXPECT_EQ(to_hex(sha256::hash(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Message896Bits) {
  EXPECT_EQ(to_hex(sha256::hash(as_bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                         "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  constexpr char const* expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  const std::vector<std::byte> million(1'000'000, std::byte{'a'});
  EXPECT_EQ(to_hex(sha256::hash(million)), expected);

  // Same message streamed in chunks that are not a multiple of the block size.
  sha256 h;
  std::size_t pos = 0;
  while (pos < million.size()) {
    const std::size_t take = std::min<std::size_t>(997, million.size() - pos);
    h.update(std::span(million).subspan(pos, take));
    pos += take;
  }
  EXPECT_EQ(to_hex(h.finish()), expected);
}

}  // namespace
