#include "stun/writer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/attributes.hpp"
#include "stun/reader.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::hex;
using pinhole::test::to_hex;

namespace {
const std::array<std::byte, 12> txid{};
}

TEST(Writer, HeaderOnly) {
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_success, txid);
  ASSERT_FALSE(w.error());
  EXPECT_EQ(to_hex(w.bytes()), "010100002112a442000000000000000000000000");
}

TEST(Writer, ClassicIdIsCopiedVerbatim) {
  const auto id = hex("deadbeef 0102030405060708090a0b0c");
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_success, std::span<const std::byte, 16>(id.data(), 16));
  EXPECT_EQ(to_hex(w.bytes()), "01010000deadbeef0102030405060708090a0b0c");
}

TEST(Writer, TextIsZeroPadded) {
  std::array<std::byte, 64> buf{};
  buf.fill(std::byte{0xAA});
  message_writer w(buf);
  w.begin(binding_success, txid).add_text(attr::software, "abcde");
  ASSERT_FALSE(w.error());
  EXPECT_EQ(w.size(), 32U);
  EXPECT_EQ(to_hex(w.bytes().subspan(20)),
            "80220005616263646500"
            "0000");
  EXPECT_EQ(load_u16(w.bytes().data() + 2), 12U);
}

TEST(Writer, XorAddressRoundTripsIpv4AndIpv6) {
  for (const char* text : {"203.0.113.7:3478", "[2001:db8::42]:65535", "0.0.0.0:0"}) {
    const auto addr = *transport_address::parse(text);
    std::array<std::byte, 128> buf{};
    message_writer w(buf);
    const auto id = hex("0102030405060708090a0b0c");
    w.begin(binding_success, std::span<const std::byte, 12>(id.data(), 12))
        .add_xor_address(attr::xor_mapped_address, addr)
        .add_address(attr::mapped_address, addr);
    ASSERT_FALSE(w.error());
    message_view m;
    ASSERT_FALSE(message_view::parse(w.bytes(), m));
    transport_address x;
    transport_address p;
    ASSERT_FALSE(decode_xor_address(*m.find(attr::xor_mapped_address), m.cookie_and_id(), x));
    ASSERT_FALSE(decode_address(*m.find(attr::mapped_address), p));
    EXPECT_EQ(x, addr) << text;
    EXPECT_EQ(p, addr) << text;
  }
}

TEST(Writer, Ipv4XorEncodingMatchesRfc) {
  // 192.0.2.1:32853 -> X-Port 0xa147, X-Address 0xe112a643 (RFC 5769 §2.2).
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_success, txid)
      .add_xor_address(attr::xor_mapped_address, *transport_address::parse("192.0.2.1:32853"));
  EXPECT_EQ(to_hex(w.bytes().subspan(20)), "002000080001a147e112a643");
}

TEST(Writer, BufferTooSmallIsStickyAndReportsZeroSize) {
  std::array<std::byte, 30> buf{};
  message_writer w(buf);
  w.begin(binding_success, txid).add_text(attr::software, "this will not fit").add_fingerprint();
  EXPECT_EQ(w.error(), errc::buffer_too_small);
  EXPECT_EQ(w.size(), 0U);
  EXPECT_TRUE(w.bytes().empty());

  std::array<std::byte, 10> tiny{};
  message_writer t(tiny);
  t.begin(binding_success, txid);
  EXPECT_EQ(t.error(), errc::buffer_too_small);
}

TEST(Writer, AddWithoutBeginFails) {
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.add_text(attr::software, "x");
  EXPECT_TRUE(w.error());
}

TEST(Writer, MessageTooLarge) {
  std::vector<std::byte> big(70000);
  message_writer w(big);
  w.begin(binding_success, txid).add_padding(65530).add_padding(100);
  EXPECT_EQ(w.error(), errc::message_too_large);
}

TEST(Writer, ErrorCodeAndUnknownAttributes) {
  std::array<std::byte, 128> buf{};
  message_writer w(buf);
  const std::array<std::uint16_t, 3> unknown{0x0011, 0x0022, 0x0033};
  w.begin(binding_error, txid).add_error_code(420, "Unknown Attribute").add_unknown_attributes(unknown);
  ASSERT_FALSE(w.error());
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  error_code_value ec;
  ASSERT_FALSE(decode_error_code(*m.find(attr::error_code), ec));
  EXPECT_EQ(ec.code, 420);
  EXPECT_EQ(ec.reason, "Unknown Attribute");
  std::array<std::uint16_t, 8> got{};
  std::size_t n = 0;
  ASSERT_FALSE(decode_unknown_attributes(*m.find(attr::unknown_attributes), got, n));
  ASSERT_EQ(n, 3U);
  EXPECT_EQ(got[2], 0x0033);
  // 3 types = 6 bytes, padded to 8.
  EXPECT_EQ(load_u16(m.find(attr::unknown_attributes)->value.data() - 2), 6U);
}

TEST(Writer, ErrorCodeOutOfRangeIsRefused) {
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_error, txid).add_error_code(700, "no");
  EXPECT_EQ(w.error(), errc::bad_attribute_value);
}

TEST(Writer, FingerprintVerifiesOnParse) {
  std::array<std::byte, 64> buf{};
  message_writer w(buf);
  w.begin(binding_request, txid).add_change_request(true, false).add_response_port(4000).add_fingerprint();
  ASSERT_FALSE(w.error());
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  EXPECT_TRUE(m.has_fingerprint());
  change_request_value cr;
  ASSERT_FALSE(decode_change_request(*m.find(attr::change_request), cr));
  EXPECT_TRUE(cr.change_ip);
  EXPECT_FALSE(cr.change_port);
  std::uint16_t port = 0;
  ASSERT_FALSE(decode_response_port(*m.find(attr::response_port), port));
  EXPECT_EQ(port, 4000);
}
