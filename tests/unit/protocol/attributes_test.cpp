#include "stun/attributes.hpp"

#include <gtest/gtest.h>

#include "stun/errors.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::hex;

namespace {
raw_attribute make(std::uint16_t type, const std::vector<std::byte>& v) { return {type, v, 20}; }
const auto cookie_id = hex("2112a442 000102030405060708090a0b");
std::span<const std::byte, 16> cid() { return std::span<const std::byte, 16>(cookie_id.data(), 16); }
}  // namespace

TEST(Attributes, PlainAddressIpv4AndIpv6) {
  transport_address a;
  const auto v4 = hex("0001 0d96 cb007107");
  ASSERT_FALSE(decode_address(make(attr::mapped_address, v4), a));
  EXPECT_EQ(a.to_string(), "203.0.113.7:3478");
  const auto v6 = hex("0002 0d96 20010db8000000000000000000000001");
  ASSERT_FALSE(decode_address(make(attr::mapped_address, v6), a));
  EXPECT_EQ(a.to_string(), "[2001:db8::1]:3478");
}

TEST(Attributes, AddressBadFamilyAndLength) {
  transport_address a;
  const auto fam = hex("0003 0d96 cb007107");
  EXPECT_EQ(decode_address(make(attr::mapped_address, fam), a), errc::bad_address_family);
  const auto shortv4 = hex("0001 0d96 cb0071");
  EXPECT_EQ(decode_address(make(attr::mapped_address, shortv4), a), errc::bad_attribute_length);
  const auto v4as6 = hex("0002 0d96 cb007107");
  EXPECT_EQ(decode_address(make(attr::mapped_address, v4as6), a), errc::bad_attribute_length);
  const auto tiny = hex("00");
  EXPECT_EQ(decode_address(make(attr::mapped_address, tiny), a), errc::bad_attribute_length);
  const auto v4long = hex("0001 0d96 cb007107 00000000");
  EXPECT_EQ(decode_address(make(attr::mapped_address, v4long), a), errc::bad_attribute_length);
}

TEST(Attributes, XorAddressIpv6UsesTransactionId) {
  // Encode [2001:db8::1]:3478 by hand: port ^ 0x2112, ip ^ (cookie || id).
  const auto v = hex("0002 2c84 0113a9fa 0001020304050607 08090a0a");
  transport_address a;
  ASSERT_FALSE(decode_xor_address(make(attr::xor_mapped_address, v), cid(), a));
  EXPECT_EQ(a.to_string(), "[2001:db8::1]:3478");
}

TEST(Attributes, ErrorCode) {
  error_code_value e;
  const auto ok = hex("0000 0414 556e6b6e6f776e");
  ASSERT_FALSE(decode_error_code(make(attr::error_code, ok), e));
  EXPECT_EQ(e.code, 420);
  EXPECT_EQ(e.reason, "Unknown");
  const auto cls = hex("0000 0714");
  EXPECT_EQ(decode_error_code(make(attr::error_code, cls), e), errc::bad_attribute_value);
  const auto num = hex("0000 0464");
  EXPECT_EQ(decode_error_code(make(attr::error_code, num), e), errc::bad_attribute_value);
  const auto shortv = hex("0000 04");
  EXPECT_EQ(decode_error_code(make(attr::error_code, shortv), e), errc::bad_attribute_length);
}

TEST(Attributes, ChangeRequestFlags) {
  change_request_value c;
  const auto both = hex("00000006");
  ASSERT_FALSE(decode_change_request(make(attr::change_request, both), c));
  EXPECT_TRUE(c.change_ip);
  EXPECT_TRUE(c.change_port);
  const auto ip = hex("00000004");
  ASSERT_FALSE(decode_change_request(make(attr::change_request, ip), c));
  EXPECT_TRUE(c.change_ip);
  EXPECT_FALSE(c.change_port);
  const auto other_bits = hex("fffffff9");  // all bits but A and B: ignored
  ASSERT_FALSE(decode_change_request(make(attr::change_request, other_bits), c));
  EXPECT_FALSE(c.change_ip);
  EXPECT_FALSE(c.change_port);
  const auto bad = hex("0006");
  EXPECT_EQ(decode_change_request(make(attr::change_request, bad), c), errc::bad_attribute_length);
}

TEST(Attributes, ResponsePort) {
  std::uint16_t p = 0;
  const auto v = hex("1f90 0000");
  ASSERT_FALSE(decode_response_port(make(attr::response_port, v), p));
  EXPECT_EQ(p, 8080);
  const auto bad = hex("1f90");
  EXPECT_EQ(decode_response_port(make(attr::response_port, bad), p), errc::bad_attribute_length);
}

TEST(Attributes, UnknownAttributesListIsBounded) {
  const auto v = hex("0011 0022 0033 0044");
  std::array<std::uint16_t, 2> out{};
  std::size_t n = 0;
  ASSERT_FALSE(decode_unknown_attributes(make(attr::unknown_attributes, v), out, n));
  EXPECT_EQ(n, 4U);
  EXPECT_EQ(out[1], 0x0022);
  const auto odd = hex("0011 00");
  EXPECT_EQ(decode_unknown_attributes(make(attr::unknown_attributes, odd), out, n), errc::bad_attribute_length);
}

TEST(Attributes, TextLimit) {
  std::string_view s;
  const auto v = hex("616263");
  ASSERT_FALSE(decode_text(make(attr::software, v), 3, s));
  EXPECT_EQ(s, "abc");
  EXPECT_EQ(decode_text(make(attr::software, v), 2, s), errc::bad_attribute_length);
}

TEST(Attributes, KnownAttributes) {
  EXPECT_TRUE(known_attribute(attr::xor_mapped_address));
  EXPECT_TRUE(known_attribute(attr::change_request));
  EXPECT_TRUE(known_attribute(attr::padding));
  EXPECT_TRUE(known_attribute(0x8055));                   // comprehension-optional: ignored, never 420
  EXPECT_FALSE(known_attribute(0x0055));                  // unknown comprehension-required
  EXPECT_FALSE(known_attribute(attr::response_address));  // refused on purpose (reflection)
}
