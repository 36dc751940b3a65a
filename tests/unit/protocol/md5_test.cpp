// MD5 against the RFC 1321 §A.5 test suite, plus streaming checks and the
// STUN long-term credential key shape (RFC 8489 §9.2.2).
#include "stun/md5.hpp"

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

using pinhole::stun::md5;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string hex(const md5::digest& d) {
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

static_assert(md5::digest_size == 16);
static_assert(md5::block_size == 64);
static_assert(std::tuple_size_v<md5::digest> == 16);
static_assert(noexcept(md5::hash(std::span<const std::byte>{})));

struct vector_case {
  std::string_view message;
  std::string_view digest;
};

// RFC 1321 Appendix A.5, "Test suite".
constexpr vector_case rfc1321_suite[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890"
     "1234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

TEST(Md5, Rfc1321TestSuite) {
  for (const auto& c : rfc1321_suite) {
    EXPECT_EQ(hex(md5::hash(bytes(c.message))), c.digest) << "MD5(\"" << c.message << "\")";
  }
}

TEST(Md5, Rfc1321TestSuiteByteAtATime) {
  for (const auto& c : rfc1321_suite) {
    md5 h;
    const auto msg = bytes(c.message);
    for (std::size_t i = 0; i < msg.size(); ++i) h.update(msg.subspan(i, 1));
    EXPECT_EQ(hex(h.finish()), c.digest) << "MD5(\"" << c.message << "\")";
  }
}

TEST(Md5, IncrementalEqualsOneShotAtEveryLength) {
  // Lengths 0..200 cross every padding case (55/56/63/64/119/120 ...).
  std::mt19937 rng(5);
  const std::vector<std::byte> buf = random_bytes(rng, 200);
  for (std::size_t len = 0; len <= buf.size(); ++len) {
    const auto msg = std::span(buf).first(len);
    const md5::digest expected = md5::hash(msg);
    md5 h;
    std::size_t pos = 0;
    for (std::size_t step = 1; pos < len; ++step) {
      const std::size_t take = std::min(step, len - pos);
      h.update(msg.subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), expected) << "len " << len;
  }
}

TEST(Md5, IncrementalEqualsOneShotOverRandomSplits) {
  std::mt19937 rng(6);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 1000)(rng);
    const std::vector<std::byte> msg = random_bytes(rng, n);
    md5 h;
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t take = std::uniform_int_distribution<std::size_t>(0, n - pos)(rng);
      h.update(std::span(msg).subspan(pos, take));
      pos += take;
    }
    ASSERT_EQ(h.finish(), md5::hash(msg)) << "round " << round << " size " << n;
  }
}

TEST(Md5, LongTermCredentialKeyIsStreamable) {
  // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" password). Building it
  // piecewise must equal hashing the joined string.
  md5 h;
  h.update(bytes("user"));
  h.update(bytes(":"));
  h.update(bytes("realm"));
  h.update(bytes(":"));
  h.update(bytes("pass"));
  EXPECT_EQ(h.finish(), md5::hash(bytes("user:realm:pass")));
}

TEST(Md5, FinishResetsForReuse) {
  md5 h;
  h.update(bytes("garbage that must not leak into the next message"));
  (void)h.finish();
  h.update(bytes("abc"));
  EXPECT_EQ(hex(h.finish()), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(h.finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
