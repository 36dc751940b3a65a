// PCP (RFC 6887) MAP messages, byte for byte against the layouts of §7.1,
// §7.2 and §11.1, for IPv4 (IPv4-mapped addresses) and IPv6 pinholes.
#include "pcp_codec.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace pinhole;
using namespace pinhole::client::portmap;

namespace {
const pcp_nonce nonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

pcp_map_request v4_request() {
  pcp_map_request r;
  r.lifetime = 7200;
  r.client = *ip_endpoint::parse_ip("198.18.0.10", 0);
  r.nonce = nonce;
  r.internal_port = 5004;
  r.suggested = ip_endpoint::any(ip_family::v4);
  return r;
}

std::vector<std::byte> v(std::initializer_list<unsigned> l) {
  std::vector<std::byte> out;
  for (auto x : l) out.push_back(std::byte(x));
  return out;
}

// A MAP response as a server builds it (§7.2 + §11.1).
std::vector<std::byte> response(const pcp_map_request& r, unsigned result, std::uint32_t lifetime, std::uint32_t epoch,
                                const ip_endpoint& ext) {
  std::vector<std::byte> m(pcp_map_request_size);
  m[0] = std::byte{2};
  m[1] = std::byte{0x81};
  m[3] = std::byte(result);
  put32(m, 4, lifetime);
  put32(m, 8, epoch);
  for (std::size_t i = 0; i < 12; ++i) m[24 + i] = std::byte{r.nonce[i]};
  m[36] = std::byte{r.protocol};
  put16(m, 40, r.internal_port);
  put16(m, 42, ext.port);
  const auto a = pcp_address(ext);
  for (std::size_t i = 0; i < 16; ++i) m[44 + i] = std::byte{a[i]};
  return m;
}
}  // namespace

TEST(PcpCodec, MapRequestIPv4Layout) {
  std::array<std::byte, pcp_map_request_size> out{};
  ASSERT_EQ(encode_pcp_map_request(v4_request(), out), 60U);
  const auto expect =
      v({2,  1, 0, 0, 0,    0,    0x1c, 0x20,  // version 2, R=0 MAP, reserved, lifetime 7200
         0,  0, 0, 0, 0,    0,    0,    0,    0, 0,  0xff, 0xff, 198, 18, 0, 10,  // client ::ffff:198.18.0.10
         1,  2, 3, 4, 5,    6,    7,    8,    9, 10, 11,   12,                    // nonce
         17, 0, 0, 0, 0x13, 0x8c, 0,    0,  // UDP, reserved, internal 5004, no suggestion
         0,  0, 0, 0, 0,    0,    0,    0,    0, 0,  0xff, 0xff, 0,   0,  0, 0});  // ::ffff:0.0.0.0
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.end()), expect);
}

TEST(PcpCodec, MapRequestIPv6UsesAllZerosSuggestion) {
  auto r = v4_request();
  r.client = *ip_endpoint::parse_ip("2001:db8:1::10", 0);
  r.suggested = ip_endpoint::any(ip_family::v6);
  std::array<std::byte, pcp_map_request_size> out{};
  encode_pcp_map_request(r, out);
  EXPECT_EQ(out[8], std::byte{0x20});
  EXPECT_EQ(out[9], std::byte{0x01});
  EXPECT_EQ(out[10], std::byte{0x0d});
  EXPECT_EQ(out[23], std::byte{0x10});
  for (std::size_t i = 44; i < 60; ++i) EXPECT_EQ(out[i], std::byte{0}) << i;
}

TEST(PcpCodec, AnnounceIsAHeaderWithLifetimeZero) {
  // §14.1: ANNOUNCE is opcode 0 with no opcode data and lifetime 0.
  std::array<std::byte, pcp_header_size> out{};
  ASSERT_EQ(encode_pcp_announce(*ip_endpoint::parse_ip("198.18.0.10", 0), out), 24U);
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.end()),
            v({2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 10}));
  pcp_header h;
  auto answer = v({2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_FALSE(decode_pcp_header(answer, h));
  EXPECT_EQ(h.opcode, pcp_op_announce);
  EXPECT_EQ(h.epoch, 12345U);
}

TEST(PcpCodec, DecodesSuccess) {
  const auto r = v4_request();
  const auto m = response(r, 0, 3600, 77, *ip_endpoint::parse("203.0.113.254:40001"));
  pcp_map_response out;
  ASSERT_FALSE(decode_pcp_map_response(m, r, out));
  EXPECT_EQ(out.result, pcp_result::success);
  EXPECT_EQ(out.lifetime, 3600U);
  EXPECT_EQ(out.epoch, 77U);
  EXPECT_EQ(out.external.to_string(), "203.0.113.254:40001");
}

TEST(PcpCodec, DecodesIPv6Pinhole) {
  auto r = v4_request();
  r.client = *ip_endpoint::parse_ip("2001:db8:1::10", 0);
  const auto m = response(r, 0, 120, 1, *ip_endpoint::parse("[2001:db8:1::10]:5004"));
  pcp_map_response out;
  ASSERT_FALSE(decode_pcp_map_response(m, r, out));
  EXPECT_EQ(out.external.to_string(), "[2001:db8:1::10]:5004");
}

TEST(PcpCodec, OptionsAfterMapAreSkippedWhenWellFormed) {
  const auto r = v4_request();
  auto m = response(r, 0, 3600, 1, *ip_endpoint::parse("203.0.113.254:40001"));
  const auto opt = v({2, 0, 0, 2, 0xaa, 0xbb, 0, 0});  // code 2, length 2, padded
  m.insert(m.end(), opt.begin(), opt.end());
  pcp_map_response out;
  EXPECT_FALSE(decode_pcp_map_response(m, r, out));
  m[m.size() - 5] = std::byte{8};  // length 8: runs past the end
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::bad_option);
}

TEST(PcpCodec, ErrorResults) {
  const auto r = v4_request();
  auto m = response(r, 8, 30, 1, ip_endpoint::any(ip_family::v4));
  pcp_map_response out;
  ASSERT_FALSE(decode_pcp_map_response(m, r, out));
  EXPECT_EQ(out.result, pcp_result::no_resources);
  EXPECT_TRUE(pcp_transient(out.result));
  EXPECT_FALSE(pcp_transient(pcp_result::not_authorized));
  // Header only (a server that could not parse the request).
  m.resize(pcp_header_size);
  m[3] = std::byte{3};
  ASSERT_FALSE(decode_pcp_map_response(m, r, out));
  EXPECT_EQ(out.result, pcp_result::malformed_request);
}

TEST(PcpCodec, VersionNegotiationFromANatPmpServer) {
  // §9: a NAT-PMP-only server answers version 0 with UNSUPP_VERSION.
  const auto m = v({0, 0x81, 0, 1, 0, 0, 0, 0});
  pcp_map_response out;
  ASSERT_FALSE(decode_pcp_map_response(m, v4_request(), out));
  EXPECT_EQ(out.result, pcp_result::unsupp_version);
  EXPECT_EQ(decode_pcp_map_response(v({0, 0x81, 0, 0, 0, 0, 0, 0}), v4_request(), out), wire_errc::bad_version);
}

TEST(PcpCodec, RejectsMismatchesAndMalformed) {
  const auto r = v4_request();
  const auto good = response(r, 0, 3600, 1, *ip_endpoint::parse("203.0.113.254:40001"));
  pcp_map_response out;
  auto m = good;
  m[24] ^= std::byte{1};
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::mismatch);  // another nonce
  m = good;
  m[41] ^= std::byte{1};
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::mismatch);  // another internal port
  m = good;
  m[1] = std::byte{1};
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::not_response);
  m = good;
  m[1] = std::byte{0x82};
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::bad_opcode);
  m = good;
  m.push_back(std::byte{0});
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::bad_length);
  m = good;
  m.resize(1104);
  EXPECT_EQ(decode_pcp_map_response(m, r, out), wire_errc::too_long);
  // Success naming 0.0.0.0, port 0, or an IPv6 address for an IPv4 mapping.
  EXPECT_EQ(decode_pcp_map_response(response(r, 0, 3600, 1, *ip_endpoint::parse("0.0.0.0:40001")), r, out),
            wire_errc::bad_address);
  EXPECT_EQ(decode_pcp_map_response(response(r, 0, 3600, 1, *ip_endpoint::parse("203.0.113.254:0")), r, out),
            wire_errc::bad_address);
  EXPECT_EQ(decode_pcp_map_response(response(r, 0, 3600, 1, *ip_endpoint::parse("[2001:db8::1]:4")), r, out),
            wire_errc::bad_address);
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_TRUE(decode_pcp_map_response(std::span(good).first(n), r, out)) << n;
  }
}
