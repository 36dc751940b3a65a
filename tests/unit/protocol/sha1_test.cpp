// SHA-1 against the FIPS 180 / NIST example vectors, also streamed. The
// streaming properties at every padding boundary are in hash_block_test.
#include "stun/sha1.hpp"

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

using pinhole::stun::sha1;
using pinhole::test::as_bytes;
using pinhole::test::to_hex;

static_assert(sha1::digest_size == 20);
static_assert(sha1::block_size == 64);
static_assert(std::tuple_size_v<sha1::digest> == 20);
static_assert(noexcept(sha1::hash(std::span<const std::byte>{})));

TEST(Sha1, OneBlockMessageAbc) {
  EXPECT_EQ(to_hex(sha1::hash(as_bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, EmptyMessage) { EXPECT_EQ(to_hex(sha1::hash({})), "da39a3ee5e6b4b0d3255bfef95601890afd80709"); }

TEST(Sha1, TwoBlockMessage448Bits) {
  // 56 bytes: the length field no longer fits, so padding spills into a second block.
  EXPECT_EQ(to_hex(sha1::hash(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, Message896Bits) {
  EXPECT_EQ(to_hex(sha1::hash(as_bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "a49b2446a02c645bf419f995b67091253a04a259");
}

TEST(Sha1, OneMillionA) {
  constexpr char const* expected = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
  const std::vector<std::byte> million(1'000'000, std::byte{'a'});
  EXPECT_EQ(to_hex(sha1::hash(million)), expected);

  // Same message streamed in chunks that are not a multiple of the block size.
  sha1 h;
  std::size_t pos = 0;
  while (pos < million.size()) {
    const std::size_t take = std::min<std::size_t>(997, million.size() - pos);
    h.update(std::span(million).subspan(pos, take));
    pos += take;
  }
  EXPECT_EQ(to_hex(h.finish()), expected);
}

}  // namespace
