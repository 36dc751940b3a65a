#include "stun/turn.hpp"

#include <gtest/gtest.h>

#include <array>

#include "stun/attributes.hpp"
#include "stun/errors.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::hex;
using pinhole::test::to_hex;

namespace {
raw_attribute make(std::uint16_t type, const std::vector<std::byte>& v) { return {type, v, 20}; }
const std::array<std::byte, 12> txid{};
}  // namespace

TEST(Turn, MessageTypes) {
  // RFC 8656 §17 method numbers with the RFC 8489 §5 class bits.
  EXPECT_EQ(allocate_request, 0x0003);
  EXPECT_EQ(allocate_success, 0x0103);
  EXPECT_EQ(allocate_error, 0x0113);
  EXPECT_EQ(refresh_request, 0x0004);
  EXPECT_EQ(create_permission_request, 0x0008);
  EXPECT_EQ(channel_bind_request, 0x0009);
  EXPECT_EQ(send_indication, 0x0016);
  EXPECT_EQ(data_indication, 0x0017);
  EXPECT_EQ(type_method_bits(0x0109), static_cast<std::uint16_t>(method::channel_bind));
}

TEST(Turn, EncodesTransportChannelAndData) {
  std::array<std::byte, 128> buf{};
  message_writer w(buf);
  w.begin(allocate_request, std::span<const std::byte, 12>(txid));
  add_requested_transport(w, transport_udp);
  add_channel_number(w, 0x4001);
  add_data(w, hex("aabbcc"));
  ASSERT_FALSE(w.error());
  message_view m;
  ASSERT_FALSE(message_view::parse(w.bytes(), m));
  EXPECT_EQ(to_hex(m.find(attr::requested_transport)->value), "11000000");
  EXPECT_EQ(to_hex(m.find(attr::channel_number)->value), "40010000");
  EXPECT_EQ(to_hex(m.find(attr::data)->value), "aabbcc");
  std::uint8_t proto = 0;
  ASSERT_FALSE(decode_requested_transport(*m.find(attr::requested_transport), proto));
  EXPECT_EQ(proto, 17);
}

TEST(Turn, LifetimeDecoding) {
  std::uint32_t s = 0;
  ASSERT_FALSE(decode_lifetime(make(attr::lifetime, hex("00000258")), s));
  EXPECT_EQ(s, 600U);
  EXPECT_EQ(decode_lifetime(make(attr::lifetime, hex("000258")), s), errc::bad_attribute_length);
  EXPECT_EQ(decode_lifetime(make(attr::lifetime, hex("0000025800")), s), errc::bad_attribute_length);
}

TEST(Turn, ChannelNumberRangeAndRffu) {
  std::uint16_t ch = 0;
  ASSERT_FALSE(decode_channel_number(make(attr::channel_number, hex("4fff ffff")), ch));  // RFFU ignored
  EXPECT_EQ(ch, 0x4FFF);
  EXPECT_EQ(decode_channel_number(make(attr::channel_number, hex("3fff 0000")), ch), errc::bad_attribute_value);
  EXPECT_EQ(decode_channel_number(make(attr::channel_number, hex("5000 0000")), ch), errc::bad_attribute_value);
  EXPECT_EQ(decode_channel_number(make(attr::channel_number, hex("4000")), ch), errc::bad_attribute_length);
}

TEST(Turn, XorRelayedAddressUsesTheXorEncoding) {
  // XOR-RELAYED-ADDRESS shares XOR-MAPPED-ADDRESS's encoding (RFC 8656 §18.5).
  const auto cookie_id = hex("2112a442 000000000000000000000000");
  transport_address a;
  ASSERT_FALSE(decode_xor_address(make(attr::xor_relayed_address, hex("0001 2c84 ea12 d545")),
                                  std::span<const std::byte, 16>(cookie_id.data(), 16), a));
  EXPECT_EQ(a.to_string(), "203.0.113.7:3478");
}
