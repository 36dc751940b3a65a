// RFC 8489 text limits (stun/limits.hpp) and the writer refusing values beyond them.
#include "stun/limits.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stun/attributes.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

using namespace pinhole::stun;

namespace {

const std::array<std::byte, 12> txid{};

// Writes one text attribute; the writer's error, and the value read back.
std::error_code write_text(std::uint16_t type, const std::string& value, std::string* back = nullptr) {
  std::vector<std::byte> buf(4096);
  message_writer w(buf);
  w.begin(binding_request, txid).add_text(type, value);
  if (w.error() || back == nullptr) return w.error();
  message_view m;
  if (auto ec = message_view::parse(w.bytes(), m)) return ec;
  const auto raw = m.find(type);
  if (!raw) return errc::not_found;
  std::string_view v;
  if (auto ec = decode_text(*raw, 65535, v)) return ec;
  *back = std::string(v);
  return {};
}

std::string utf8_times(const char* ch, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += ch;
  return s;
}

}  // namespace

TEST(Limits, TheRfcNumbers) {
  EXPECT_EQ(limits::username_bytes, 508U);
  EXPECT_EQ(limits::text_chars, 127U);
  EXPECT_EQ(limits::text_bytes, 763U);
  EXPECT_EQ(limits::reason_encode_bytes, 509U);
  EXPECT_EQ(limits::reason_decode_bytes, 763U);
  EXPECT_FALSE(limits::text_limit_of(attr::xor_mapped_address));
  EXPECT_EQ(limits::text_limit_of(attr::username)->bytes, 508U);
  for (const auto t : {attr::realm, attr::nonce, attr::software}) {
    EXPECT_EQ(limits::text_limit_of(t)->chars, 127U) << t;
  }
}

TEST(Limits, CountsCodePoints) {
  EXPECT_EQ(limits::utf8_chars(""), 0U);
  EXPECT_EQ(limits::utf8_chars("abc"), 3U);
  EXPECT_EQ(limits::utf8_chars("\xc3\xa9t\xc3\xa9"), 3U);             // "été"
  EXPECT_EQ(limits::utf8_chars("\xe2\x82\xac\xf0\x9f\x98\x80"), 2U);  // "€😀"
}

TEST(WriterLimits, UsernameUpTo508Bytes) {
  std::string back;
  const std::string at_limit(508, 'u');
  EXPECT_FALSE(write_text(attr::username, at_limit, &back));
  EXPECT_EQ(back, at_limit);
  EXPECT_EQ(write_text(attr::username, std::string(509, 'u')), errc::value_too_long);
  // Bytes, not characters: 255 two-byte characters are 510 bytes.
  EXPECT_EQ(write_text(attr::username, utf8_times("\xc3\xa9", 255)), errc::value_too_long);
}

TEST(WriterLimits, RealmNonceSoftwareUpTo127Characters) {
  for (const auto type : {attr::realm, attr::nonce, attr::software}) {
    std::string back;
    EXPECT_FALSE(write_text(type, std::string(127, 'r'), &back)) << type;
    EXPECT_EQ(back.size(), 127U);
    EXPECT_EQ(write_text(type, std::string(128, 'r')), errc::value_too_long) << type;
    // 127 four-byte characters: 508 bytes, allowed; one more is 128 characters.
    EXPECT_FALSE(write_text(type, utf8_times("\xf0\x9f\x98\x80", 127))) << type;
    EXPECT_EQ(write_text(type, utf8_times("\xf0\x9f\x98\x80", 128)), errc::value_too_long) << type;
  }
}

TEST(WriterLimits, RefusalIsStickyAndWritesNothing) {
  std::vector<std::byte> buf(2048);
  message_writer w(buf);
  w.begin(binding_request, txid).add_text(attr::software, std::string(200, 's')).add_fingerprint();
  EXPECT_EQ(w.error(), errc::value_too_long);
  EXPECT_EQ(w.size(), 0U);
  EXPECT_TRUE(w.bytes().empty());
}

TEST(WriterLimits, OtherTypesAreNotLimitedHere) {
  // add_text of a type without an RFC text limit writes it as given (up to the 16-bit length).
  EXPECT_FALSE(write_text(0x8050, std::string(1000, 'x')));
}

TEST(WriterLimits, ErrorReasonIsCutAt509Bytes) {
  std::vector<std::byte> buf(2048);
  message_writer w(buf);
  w.begin(binding_error, txid).add_error_code(400, std::string(600, 'e'));
  ASSERT_FALSE(w.error());
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  error_code_value ev;
  ASSERT_FALSE(decode_error_code(*m.find(attr::error_code), ev));
  EXPECT_EQ(ev.reason.size(), 509U);
}
