// MD5 against the RFC 1321 §A.5 test suite (also byte at a time) and the
// STUN long-term credential key shape (RFC 8489 §9.2.2). The streaming
// properties at every padding boundary are in hash_block_test.
#include "stun/md5.hpp"

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

using pinhole::stun::md5;
using pinhole::test::as_bytes;
using pinhole::test::to_hex;

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
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890"
     "1234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

TEST(Md5, Rfc1321TestSuite) {
  for (const auto& c : rfc1321_suite) {
    EXPECT_EQ(to_hex(md5::hash(as_bytes(c.message))), c.digest) << "MD5(\"" << c.message << "\")";
  }
}

TEST(Md5, Rfc1321TestSuiteByteAtATime) {
  for (const auto& c : rfc1321_suite) {
    md5 h;
    const auto msg = as_bytes(c.message);
    for (std::size_t i = 0; i < msg.size(); ++i) h.update(msg.subspan(i, 1));
    EXPECT_EQ(to_hex(h.finish()), c.digest) << "MD5(\"" << c.message << "\")";
  }
}

TEST(Md5, LongTermCredentialKeyIsStreamable) {
  // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" password). Building it
  // piecewise must equal hashing the joined string.
  md5 h;
  h.update(as_bytes("user"));
  h.update(as_bytes(":"));
  h.update(as_bytes("realm"));
  h.update(as_bytes(":"));
  h.update(as_bytes("pass"));
  EXPECT_EQ(h.finish(), md5::hash(as_bytes("user:realm:pass")));
}

}  // namespace
