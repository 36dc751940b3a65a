#include "stun/reader.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/errors.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::hex;

namespace {

const std::array<std::byte, 12> txid{std::byte{1}, std::byte{2},  std::byte{3},  std::byte{4},
                                     std::byte{5}, std::byte{6},  std::byte{7},  std::byte{8},
                                     std::byte{9}, std::byte{10}, std::byte{11}, std::byte{12}};

std::vector<std::byte> build(auto&& fill) {
  std::vector<std::byte> buf(512);
  message_writer w(buf);
  w.begin(binding_request, txid);
  fill(w);
  EXPECT_FALSE(w.error());
  buf.resize(w.size());
  return buf;
}

}  // namespace

TEST(Reader, MinimalBindingRequest) {
  const auto msg = hex("0001 0000 2112a442 000102030405060708090a0b");
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  EXPECT_EQ(m.type(), binding_request);
  EXPECT_EQ(m.cls(), msg_class::request);
  EXPECT_FALSE(m.classic());
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_EQ(std::to_integer<int>(m.transaction_id()[11]), 0x0b);
}

TEST(Reader, ClassicRequestHasNoCookie) {
  const auto msg = hex("0001 0000 deadbeef 000102030405060708090a0b");
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  EXPECT_TRUE(m.classic());
}

TEST(Reader, Truncated) {
  message_view m;
  EXPECT_EQ(message_view::parse({}, m), errc::truncated);
  EXPECT_EQ(message_view::parse(hex("0001 0000 2112a442 0001020304050607 0809 0a"), m), errc::truncated);
  // Length field claims 8 bytes of attributes that are not there.
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b"), m), errc::truncated);
}

TEST(Reader, TopBitsMustBeZero) {
  message_view m;
  EXPECT_EQ(message_view::parse(hex("8001 0000 2112a442 000102030405060708090a0b"), m), errc::not_stun);
  EXPECT_EQ(message_view::parse(hex("4001 0000 2112a442 000102030405060708090a0b"), m), errc::not_stun);
  EXPECT_FALSE(looks_like_stun(hex("c001 0000 2112a442 000102030405060708090a0b")));
  EXPECT_TRUE(looks_like_stun(hex("0001 0000 2112a442 000102030405060708090a0b")));
}

TEST(Reader, LengthNotMultipleOfFour) {
  message_view m;
  EXPECT_EQ(message_view::parse(hex("0001 0002 2112a442 000102030405060708090a0b 0000"), m), errc::bad_length);
}

TEST(Reader, TrailingBytesAfterMessage) {
  message_view m;
  EXPECT_EQ(message_view::parse(hex("0001 0000 2112a442 000102030405060708090a0b 00000000"), m), errc::bad_length);
}

TEST(Reader, AttributeLengthOverflowsMessage) {
  message_view m;
  // SOFTWARE claims 0x100 bytes inside a 8-byte body.
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b 8022 0100 41424344"), m),
            errc::attribute_overflow);
  // Maximum attribute length: 0xFFFF.
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b 8022 ffff 41424344"), m),
            errc::attribute_overflow);
}

TEST(Reader, PaddingMustFitButItsBytesAreIgnored) {
  message_view m;
  // A 5-byte value padded to 8 fits in a 12-byte body; padding bytes are non-zero.
  const auto msg = hex("0001 000c 2112a442 000102030405060708090a0b 8022 0005 6162636465 ffffff");
  ASSERT_FALSE(message_view::parse(msg, m));
  auto sw = m.find(attr::software);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->value.size(), 5U);
  // Value of 5 bytes in an 8-byte body: the padded value runs past the end.
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b 8022 0005 61626364"), m),
            errc::attribute_overflow);
}

TEST(Reader, DuplicateAttributesFirstOneWins) {
  const auto msg = build([](message_writer& w) {
    w.add_text(attr::software, "first");
    w.add_text(attr::software, "second");
  });
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  auto sw = m.find(attr::software);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->value.size(), 5U);
  int count = 0;
  for (const auto& a : m) count += a.type == attr::software ? 1 : 0;
  EXPECT_EQ(count, 2);
}

TEST(Reader, AttributeAfterFingerprintIsRejected) {
  auto msg = build([](message_writer& w) { w.add_fingerprint(); });
  // Append a SOFTWARE attribute after FINGERPRINT and fix the length.
  for (auto b : hex("8022 0004 41424344")) msg.push_back(b);
  store_u16(msg.data() + 2, static_cast<std::uint16_t>(msg.size() - header_size));
  message_view m;
  EXPECT_EQ(message_view::parse(msg, m), errc::attribute_after_fingerprint);
}

TEST(Reader, WrongFingerprintIsRejected) {
  auto msg = build([](message_writer& w) { w.add_text(attr::software, "x").add_fingerprint(); });
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  EXPECT_TRUE(m.has_fingerprint());
  msg.back() ^= std::byte{1};
  EXPECT_EQ(message_view::parse(msg, m), errc::bad_fingerprint);
  // Any change to the covered bytes breaks it too.
  msg.back() ^= std::byte{1};
  msg[25] ^= std::byte{0x20};
  EXPECT_EQ(message_view::parse(msg, m), errc::bad_fingerprint);
}

TEST(Reader, FingerprintWithWrongLength) {
  message_view m;
  // FINGERPRINT must carry exactly 4 bytes.
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b 8028 0000 00000000"), m),
            errc::bad_attribute_length);
}

TEST(Reader, IntegrityWithWrongLength) {
  message_view m;
  EXPECT_EQ(message_view::parse(hex("0001 0008 2112a442 000102030405060708090a0b 0008 0004 00000000"), m),
            errc::bad_attribute_length);
  EXPECT_EQ(
      message_view::parse(hex("0001 0010 2112a442 000102030405060708090a0b 001c 000c 000000000000000000000000"), m),
      errc::bad_attribute_length);
}

TEST(Reader, AttributesAfterIntegrityAreIgnoredExceptFingerprint) {
  std::array<std::byte, 4> key{std::byte{'k'}, std::byte{'e'}, std::byte{'y'}, std::byte{'!'}};
  auto msg = build([&](message_writer& w) {
    w.add_text(attr::software, "before");
    w.add_message_integrity(key);
  });
  for (auto b : hex("8022 0005 6166746572 000000")) msg.push_back(b);
  store_u16(msg.data() + 2, static_cast<std::uint16_t>(msg.size() - header_size));
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));
  ASSERT_TRUE(m.integrity());
  auto sw = m.find(attr::software);
  ASSERT_TRUE(sw);
  EXPECT_EQ(sw->value.size(), 6U);  // "before"; the one after MESSAGE-INTEGRITY is invisible
  int visible = 0;
  for (const auto& a : m) {
    (void)a;
    ++visible;
  }
  EXPECT_EQ(visible, 2);  // SOFTWARE, MESSAGE-INTEGRITY
}

TEST(Reader, ZeroLengthAttributeIsFine) {
  const auto msg = hex("0001 0004 2112a442 000102030405060708090a0b 8022 0000");
  message_view m;
  ASSERT_FALSE(message_view::parse(msg, m));  // the view points into msg: keep it alive
  auto sw = m.find(attr::software);
  ASSERT_TRUE(sw);
  EXPECT_TRUE(sw->value.empty());
  EXPECT_FALSE(m.find(attr::username));
}
