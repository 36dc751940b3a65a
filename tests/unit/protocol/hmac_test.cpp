// HMAC (RFC 2104) against RFC 2202 (HMAC-SHA1, HMAC-MD5) and RFC 4231
// (HMAC-SHA256), plus the RFC 5769 STUN MESSAGE-INTEGRITY sample.
#include "stun/hmac.hpp"

#include "stun/md5.hpp"
#include "stun/sha1.hpp"
#include "stun/sha256.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pinhole::stun::hmac;
using pinhole::stun::md5;
using pinhole::stun::sha1;
using pinhole::stun::sha256;

std::span<const std::byte> bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::vector<std::byte> repeat(std::uint8_t value, std::size_t n) { return std::vector<std::byte>(n, std::byte{value}); }

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

template <std::size_t N>
std::string hex(const std::array<std::byte, N>& d) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::byte b : d) {
    const auto v = std::to_integer<unsigned>(b);
    out += digits[v >> 4];
    out += digits[v & 0xFU];
  }
  return out;
}

// Keys shared by RFC 2202 and RFC 4231.
const std::vector<std::byte> key_0b20 = repeat(0x0b, 20);
const std::vector<std::byte> key_aa20 = repeat(0xaa, 20);
const std::vector<std::byte> key_0c20 = repeat(0x0c, 20);
const std::vector<std::byte> key_01_to_19 = from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819");
const std::vector<std::byte> data_dd50 = repeat(0xdd, 50);
const std::vector<std::byte> data_cd50 = repeat(0xcd, 50);

static_assert(noexcept(hmac<sha1>::compute({}, {})));
static_assert(noexcept(hmac<sha256>(std::span<const std::byte>{})));

// ---- RFC 2202 §3, HMAC-SHA1 ----

TEST(HmacSha1, Rfc2202Case1) {
  EXPECT_EQ(hex(hmac<sha1>::compute(key_0b20, bytes("Hi There"))), "b617318655057264e28bc0b6fb378c8ef146be00");
}

TEST(HmacSha1, Rfc2202Case2KeyShorterThanDigest) {
  EXPECT_EQ(hex(hmac<sha1>::compute(bytes("Jefe"), bytes("what do ya want for nothing?"))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(HmacSha1, Rfc2202Case3) {
  EXPECT_EQ(hex(hmac<sha1>::compute(key_aa20, data_dd50)), "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
}

TEST(HmacSha1, Rfc2202Case4) {
  EXPECT_EQ(hex(hmac<sha1>::compute(key_01_to_19, data_cd50)), "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
}

TEST(HmacSha1, Rfc2202Case5Truncation) {
  // The RFC lists the full MAC and its 96-bit truncation.
  EXPECT_EQ(hex(hmac<sha1>::compute(key_0c20, bytes("Test With Truncation"))),
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
}

TEST(HmacSha1, Rfc2202Case6KeyLargerThanBlock) {
  EXPECT_EQ(hex(hmac<sha1>::compute(repeat(0xaa, 80), bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(HmacSha1, Rfc2202Case7KeyAndDataLargerThanBlock) {
  EXPECT_EQ(hex(hmac<sha1>::compute(repeat(0xaa, 80), bytes("Test Using Larger Than Block-Size Key and Larger Than One "
                                                            "Block-Size Data"))),
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

// ---- RFC 2202 §2, HMAC-MD5 (cases 1 and 2) ----

TEST(HmacMd5, Rfc2202Case1) {
  EXPECT_EQ(hex(hmac<md5>::compute(repeat(0x0b, 16), bytes("Hi There"))), "9294727a3638bb1c13f48ef8158bfc9d");
}

TEST(HmacMd5, Rfc2202Case2) {
  EXPECT_EQ(hex(hmac<md5>::compute(bytes("Jefe"), bytes("what do ya want for nothing?"))),
            "750c783e6ab0b503eaa86e310a5db738");
}

// ---- RFC 4231 §4, HMAC-SHA256 ----

TEST(HmacSha256, Rfc4231Case1) {
  EXPECT_EQ(hex(hmac<sha256>::compute(key_0b20, bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231Case2KeyShorterThanDigest) {
  EXPECT_EQ(hex(hmac<sha256>::compute(bytes("Jefe"), bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231Case3) {
  EXPECT_EQ(hex(hmac<sha256>::compute(key_aa20, data_dd50)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231Case4) {
  EXPECT_EQ(hex(hmac<sha256>::compute(key_01_to_19, data_cd50)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256, Rfc4231Case5Truncation) {
  // The RFC publishes only the leftmost 128 bits.
  const std::string mac = hex(hmac<sha256>::compute(key_0c20, bytes("Test With Truncation")));
  EXPECT_EQ(mac.substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256, Rfc4231Case6KeyLargerThanBlock) {
  EXPECT_EQ(
      hex(hmac<sha256>::compute(repeat(0xaa, 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, Rfc4231Case7KeyAndDataLargerThanBlock) {
  EXPECT_EQ(hex(hmac<sha256>::compute(repeat(0xaa, 131),
                                      bytes("This is a test using a larger than block-size key and a larger than "
                                            "block-size data. The key needs to be hashed before being used by the "
                                            "HMAC algorithm."))),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// ---- STUN usage ----

TEST(HmacSha1, Rfc5769SampleRequestMessageIntegrity) {
  // RFC 5769 §2.1, short-term credential password "VOkJxbRl1RmTxUk/WvJxBt".
  // MESSAGE-INTEGRITY (RFC 8489 §14.5) covers the message up to the attribute,
  // with the header length already counting MESSAGE-INTEGRITY (here 0x50,
  // since the FINGERPRINT that follows is excluded).
  std::vector<std::byte> msg = from_hex(
      "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
      "20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
      "746a3a6836765920202000080014"
      "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");
  ASSERT_EQ(msg.size(), 108U);
  msg[3] = std::byte{0x50};
  // 20-byte header + SOFTWARE (20) + PRIORITY (8) + ICE-CONTROLLED (12) + USERNAME (16).
  const auto covered = std::span(msg).first(76);
  const auto mac = hmac<sha1>::compute(bytes("VOkJxbRl1RmTxUk/WvJxBt"), covered);
  EXPECT_EQ(hex(mac), "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2");
}

// ---- Properties ----

TEST(Hmac, KeyLongerThanBlockEqualsItsHash) {
  // RFC 2104 §2: a key longer than B is replaced by H(K).
  const std::vector<std::byte> long_key = repeat(0x5a, 65);
  const auto hashed1 = sha1::hash(long_key);
  const auto hashed256 = sha256::hash(long_key);
  EXPECT_EQ(hmac<sha1>::compute(long_key, bytes("msg")), hmac<sha1>::compute(hashed1, bytes("msg")));
  EXPECT_EQ(hmac<sha256>::compute(long_key, bytes("msg")), hmac<sha256>::compute(hashed256, bytes("msg")));
}

TEST(Hmac, KeyOfExactlyBlockSizeIsNotHashed) {
  const std::vector<std::byte> key64 = repeat(0x5a, 64);
  EXPECT_NE(hmac<sha1>::compute(key64, bytes("msg")), hmac<sha1>::compute(sha1::hash(key64), bytes("msg")));
}

TEST(Hmac, ShortKeyIsZeroPadded) {
  // K0 is K followed by zeros, so trailing zero bytes in the key are invisible.
  std::vector<std::byte> padded = {std::byte{'J'}, std::byte{'e'}, std::byte{'f'}, std::byte{'e'}};
  padded.resize(64, std::byte{0});
  EXPECT_EQ(hex(hmac<sha1>::compute(padded, bytes("what do ya want for nothing?"))),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(Hmac, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<unsigned> byte_dist(0, 255);
  for (int round = 0; round < 100; ++round) {
    const std::size_t key_len = std::uniform_int_distribution<std::size_t>(0, 150)(rng);
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 600)(rng);
    std::vector<std::byte> key(key_len);
    std::vector<std::byte> msg(n);
    for (auto& b : key) b = static_cast<std::byte>(byte_dist(rng));
    for (auto& b : msg) b = static_cast<std::byte>(byte_dist(rng));

    hmac<sha256> mac(key);
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      mac.update(std::span(msg).subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(mac.finish(), hmac<sha256>::compute(key, msg)) << "round " << round;
  }
}

TEST(Hmac, FinishRewindsToKeyedState) {
  hmac<sha1> mac(key_0b20);
  mac.update(bytes("something else entirely"));
  (void)mac.finish();
  mac.update(bytes("Hi "));
  mac.update(bytes("There"));
  EXPECT_EQ(hex(mac.finish()), "b617318655057264e28bc0b6fb378c8ef146be00");
  mac.update(bytes("Hi There"));
  EXPECT_EQ(hex(mac.finish()), "b617318655057264e28bc0b6fb378c8ef146be00");
}

}  // namespace
