// SHA-1 against the FIPS 180 / NIST example vectors, plus streaming checks
// that exercise every padding boundary.
#include "stun/sha1.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pinhole::stun::sha1;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string hex(const sha1::digest& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : d) {
    const auto v = std::to_integer<unsigned>(b);
    out += digits[v >> 4];
    out += digits[v & 0xFU];
  }
  return out;
}

std::vector<std::byte> random_bytes(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<unsigned> dist(0, 255);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(dist(rng));
  return out;
}

static_assert(sha1::digest_size == 20);
static_assert(sha1::block_size == 64);
static_assert(std::tuple_size_v<sha1::digest> == 20);
static_assert(noexcept(sha1::hash(std::span<const std::byte>{})));

TEST(Sha1, OneBlockMessageAbc) {
  EXPECT_EQ(hex(sha1::hash(bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, EmptyMessage) {
  EXPECT_EQ(hex(sha1::hash({})), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(Sha1, TwoBlockMessage448Bits) {
  // 56 bytes: the length field no longer fits, so padding spills into a second block.
  EXPECT_EQ(hex(sha1::hash(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, Message896Bits) {
  EXPECT_EQ(hex(sha1::hash(bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                 "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "a49b2446a02c645bf419f995b67091253a04a259");
}

TEST(Sha1, OneMillionA) {
  constexpr char const* expected = "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
  const std::vector<std::byte> million(1'000'000, std::byte{'a'});
  EXPECT_EQ(hex(sha1::hash(million)), expected);

  // Same message streamed in chunks that are not a multiple of the block size.
  sha1 h;
  std::size_t pos = 0;
  while (pos < million.size()) {
    const std::size_t take = std::min<std::size_t>(997, million.size() - pos);
    h.update(std::span(million).subspan(pos, take));
    pos += take;
  }
  EXPECT_EQ(hex(h.finish()), expected);
}

TEST(Sha1, IncrementalEqualsOneShotAtEveryLength) {
  // Lengths 0..200 cross every padding case (55/56/63/64/119/120 ...).
  std::mt19937 rng(1);
  const std::vector<std::byte> buf = random_bytes(rng, 200);
  for (std::size_t len = 0; len <= buf.size(); ++len) {
    const auto msg = std::span(buf).first(len);
    const sha1::digest expected = sha1::hash(msg);
    sha1 h;
    for (std::size_t i = 0; i < len; ++i) h.update(msg.subspan(i, 1));
    ASSERT_EQ(h.finish(), expected) << "len " << len;
  }
}

TEST(Sha1, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(2);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 1000)(rng);
    const std::vector<std::byte> msg = random_bytes(rng, n);
    sha1 h;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      h.update(std::span(msg).subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), sha1::hash(msg)) << "round " << round << " size " << n;
  }
}

TEST(Sha1, FinishResetsForReuse) {
  sha1 h;
  h.update(bytes("garbage that must not leak into the next message"));
  (void)h.finish();
  h.update(bytes("abc"));
  EXPECT_EQ(hex(h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(h.finish()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

}  // namespace
