#include "stun/integrity.hpp"

#include <gtest/gtest.h>

#include <array>

#include "stun/errors.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::as_bytes;

namespace {
const std::array<std::byte, 12> txid{std::byte{9}};

std::vector<std::byte> signed_message(bool sha256, bool fingerprint, std::string_view password) {
  std::vector<std::byte> buf(256);
  message_writer w(buf);
  w.begin(binding_request, txid).add_text(attr::username, "alice");
  if (sha256) {
    w.add_message_integrity_sha256(short_term_key(password));
  } else {
    w.add_message_integrity(short_term_key(password));
  }
  if (fingerprint) w.add_fingerprint();
  buf.resize(w.size());
  return buf;
}
}  // namespace

TEST(Integrity, Sha1AndSha256WithAndWithoutFingerprint) {
  for (bool sha256 : {false, true}) {
    for (bool fp : {false, true}) {
      const auto msg = signed_message(sha256, fp, "secret");
      message_view m;
      ASSERT_FALSE(message_view::parse(msg, m));
      EXPECT_FALSE(verify_integrity(m, short_term_key("secret"))) << sha256 << fp;
      EXPECT_EQ(verify_integrity(m, short_term_key("Secret")), errc::integrity_mismatch) << sha256 << fp;
    }
  }
}

TEST(Integrity, TamperedBodyFails) {
  auto msg = signed_message(false, false, "secret");
  msg[24] ^= std::byte{1};  // a byte of USERNAME
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  EXPECT_EQ(verify_integrity(m, short_term_key("secret")), errc::integrity_mismatch);
}

TEST(Integrity, MissingIntegrity) {
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_request, txid).add_text(attr::username, "alice");
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  EXPECT_EQ(verify_integrity(m, short_term_key("secret")), errc::integrity_missing);
}

TEST(Integrity, ConstantTimeCompare) {
  EXPECT_TRUE(equal_constant_time(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(equal_constant_time(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(equal_constant_time(as_bytes("abc"), as_bytes("ab")));
}
