// SHA-256 against the FIPS 180 / NIST example vectors, plus streaming checks
// that exercise every padding boundary.
#include "stun/sha256.hpp"

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

using pinhole::stun::sha256;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string hex(const sha256::digest& d) {
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

static_assert(sha256::digest_size == 32);
static_assert(sha256::block_size == 64);
static_assert(std::tuple_size_v<sha256::digest> == 32);
static_assert(noexcept(sha256::hash(std::span<const std::byte>{})));

TEST(Sha256, OneBlockMessageAbc) {
  EXPECT_EQ(hex(sha256::hash(bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, EmptyMessage) {
  EXPECT_EQ(hex(sha256::hash({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, TwoBlockMessage448Bits) {
  // 56 bytes: the length field no longer fits, so padding spills into a second block.
  EXPECT_EQ(hex(sha256::hash(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Message896Bits) {
  EXPECT_EQ(hex(sha256::hash(bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                                 "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  constexpr char const* expected =
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  const std::vector<std::byte> million(1'000'000, std::byte{'a'});
  EXPECT_EQ(hex(sha256::hash(million)), expected);

  // Same message streamed in chunks that are not a multiple of the block size.
  sha256 h;
  std::size_t pos = 0;
  while (pos < million.size()) {
    const std::size_t take = std::min<std::size_t>(997, million.size() - pos);
    h.update(std::span(million).subspan(pos, take));
    pos += take;
  }
  EXPECT_EQ(hex(h.finish()), expected);
}

TEST(Sha256, IncrementalEqualsOneShotAtEveryLength) {
  // Lengths 0..200 cross every padding case (55/56/63/64/119/120 ...).
  std::mt19937 rng(1);
  const std::vector<std::byte> buf = random_bytes(rng, 200);
  for (std::size_t len = 0; len <= buf.size(); ++len) {
    const auto msg = std::span(buf).first(len);
    const sha256::digest expected = sha256::hash(msg);
    sha256 h;
    for (std::size_t i = 0; i < len; ++i) h.update(msg.subspan(i, 1));
    ASSERT_EQ(h.finish(), expected) << "len " << len;
  }
}

TEST(Sha256, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(2);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 1000)(rng);
    const std::vector<std::byte> msg = random_bytes(rng, n);
    sha256 h;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      h.update(std::span(msg).subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), sha256::hash(msg)) << "round " << round << " size " << n;
  }
}

TEST(Sha256, FinishResetsForReuse) {
  sha256 h;
  h.update(bytes("garbage that must not leak into the next message"));
  (void)h.finish();
  h.update(bytes("abc"));
  EXPECT_EQ(hex(h.finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(h.finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
