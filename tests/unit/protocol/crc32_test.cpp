// CRC-32 (IEEE 802.3) against the catalogued check value, the RFC 5769 STUN
// sample, a bit-at-a-time reference, and incremental/one-shot equality.
#include "stun/crc32.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

namespace {

using pinhole::stun::crc32;

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::vector<std::byte> from_hex(std::string_view hex) {
  auto nibble = [](char c) -> unsigned {
    return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
  };
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return out;
}

std::vector<std::byte> random_bytes(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<unsigned> dist(0, 255);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(dist(rng));
  return out;
}

// Straight from the definition: shift one bit at a time through the
// reflected polynomial. Independent of the table-driven implementation.
std::uint32_t reference_crc32(std::span<const std::byte> data) {
  std::uint32_t r = 0xFFFFFFFFU;
  for (std::byte b : data) {
    r ^= std::to_integer<std::uint32_t>(b);
    for (int i = 0; i < 8; ++i) r = (r & 1U) != 0 ? (r >> 1) ^ 0xEDB88320U : r >> 1;
  }
  return ~r;
}

TEST(Crc32, CheckValue) {
  // The catalogued "check" value of CRC-32/ISO-HDLC.
  EXPECT_EQ(crc32(bytes("123456789")), 0xCBF43926U);
}

TEST(Crc32, KnownStrings) {
  EXPECT_EQ(crc32(bytes("a")), 0xE8B7BE43U);
  EXPECT_EQ(crc32(bytes("The quick brown fox jumps over the lazy dog")), 0x414FA339U);
}

TEST(Crc32, EmptyInputIsIdentity) {
  EXPECT_EQ(crc32({}), 0U);
  EXPECT_EQ(crc32({}, 0xCBF43926U), 0xCBF43926U);
  EXPECT_EQ(crc32(bytes("")), 0U);
}

TEST(Crc32, Rfc5769SampleRequestFingerprint) {
  // RFC 5769 §2.1. FINGERPRINT (RFC 8489 §14.7) is the CRC-32 of the message
  // up to, not including, the FINGERPRINT attribute, XORed with 0x5354554E.
  const std::vector<std::byte> msg = from_hex(
      "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
      "20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
      "746a3a6836765920202000080014"
      "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");
  ASSERT_EQ(msg.size(), 108U);
  const std::uint32_t fp = crc32(std::span(msg).first(100)) ^ 0x5354554EU;
  EXPECT_EQ(fp, 0xE57A3BCFU);
}

TEST(Crc32, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(0xC0FFEE);
  const std::vector<std::byte> buf = random_bytes(rng, 300);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t len = 0; len + offset <= buf.size(); ++len) {
      const auto s = std::span(buf).subspan(offset, len);
      ASSERT_EQ(crc32(s), reference_crc32(s)) << "offset " << offset << " len " << len;
    }
  }
}

TEST(Crc32, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 2000)(rng);
    const std::vector<std::byte> msg = random_bytes(rng, n);
    const std::uint32_t expected = crc32(msg);

    std::uint32_t crc = 0;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      crc = crc32(std::span(msg).subspan(pos, take), crc);
      pos += take;
    }
    ASSERT_EQ(crc, expected) << "round " << round << " size " << n;
  }
}

TEST(Crc32, TwoPieceSplitAtEveryPoint) {
  const auto msg = bytes("123456789");
  for (std::size_t cut = 0; cut <= msg.size(); ++cut) {
    EXPECT_EQ(crc32(msg.subspan(cut), crc32(msg.first(cut))), 0xCBF43926U) << "cut " << cut;
  }
}

TEST(Crc32, ByteAtATime) {
  const auto msg = bytes("The quick brown fox jumps over the lazy dog");
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) crc = crc32(msg.subspan(i, 1), crc);
  EXPECT_EQ(crc, 0x414FA339U);
}

TEST(Crc32, UsableInNoexceptContext) {
  static_assert(noexcept(crc32(std::span<const std::byte>{})));
  SUCCEED();
}

}  // namespace
