// NAT-PMP (RFC 6886) messages, byte for byte against the packet layouts of
// §3.2 and §3.3.
#include "natpmp_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

using namespace pinhole::client::portmap;

namespace {
template <std::size_t N>
std::array<std::byte, N> bytes(const std::array<unsigned, N>& v) {
  std::array<std::byte, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = std::byte(v[i]);
  return out;
}
}  // namespace

TEST(NatpmpCodec, ExternalAddressRequestIsVersionZeroOpcodeZero) {
  std::array<std::byte, natpmp_address_request_size> out{};
  ASSERT_EQ(encode_natpmp_address_request(out), 2U);
  EXPECT_EQ(out, bytes<2>({0, 0}));
}

TEST(NatpmpCodec, MapRequestLayout) {
  // §3.3: Vers 0 | OP 1 (UDP) | Reserved 0 | Internal Port | Suggested
  // External Port | Requested Lifetime (7200 s, the recommended value).
  std::array<std::byte, natpmp_map_request_size> out{};
  ASSERT_EQ(encode_natpmp_map_request({5004, 5004, 7200}, out), 12U);
  EXPECT_EQ(out, bytes<12>({0, 1, 0, 0, 0x13, 0x8c, 0x13, 0x8c, 0, 0, 0x1c, 0x20}));
}

TEST(NatpmpCodec, DeletionZeroesSuggestedPortAndLifetime) {
  std::array<std::byte, natpmp_map_request_size> out{};
  encode_natpmp_map_request({5004, 40000, 0}, out);
  EXPECT_EQ(out, bytes<12>({0, 1, 0, 0, 0x13, 0x8c, 0, 0, 0, 0, 0, 0}));
}

TEST(NatpmpCodec, ExternalAddressResponse) {
  // Vers 0 | OP 128 | Result 0 | SSSoE 1000 | 203.0.113.254
  const auto in = bytes<12>({0, 128, 0, 0, 0, 0, 0x03, 0xe8, 203, 0, 113, 254});
  natpmp_response r;
  ASSERT_FALSE(decode_natpmp_response(in, natpmp_op::external_address, r));
  EXPECT_EQ(r.result, natpmp_result::success);
  EXPECT_EQ(r.epoch, 1000U);
  EXPECT_EQ(r.external_ip, (std::array<std::uint8_t, 4>{203, 0, 113, 254}));
}

TEST(NatpmpCodec, MapResponse) {
  // Vers 0 | OP 129 | Result 0 | SSSoE 5 | Internal 5004 | Mapped 40001 | 3600 s
  const auto in = bytes<16>({0, 129, 0, 0, 0, 0, 0, 5, 0x13, 0x8c, 0x9c, 0x41, 0, 0, 0x0e, 0x10});
  natpmp_response r;
  ASSERT_FALSE(decode_natpmp_response(in, natpmp_op::map_udp, r));
  EXPECT_EQ(r.internal_port, 5004);
  EXPECT_EQ(r.external_port, 40001);
  EXPECT_EQ(r.lifetime, 3600U);
  EXPECT_EQ(r.epoch, 5U);
}

TEST(NatpmpCodec, ErrorResultDecodesWithoutTheRest) {
  // Result 2 (refused), the rest absent: the answer is understood, no mapping.
  const auto in = bytes<8>({0, 129, 0, 2, 0, 0, 0, 9});
  natpmp_response r;
  ASSERT_FALSE(decode_natpmp_response(in, natpmp_op::map_udp, r));
  EXPECT_EQ(r.result, natpmp_result::refused);
  EXPECT_EQ(r.external_port, 0);
}

TEST(NatpmpCodec, RejectsWhatIsNoAnswer) {
  natpmp_response r;
  EXPECT_EQ(decode_natpmp_response(bytes<3>({0, 128, 0}), natpmp_op::external_address, r), wire_errc::too_short);
  EXPECT_EQ(decode_natpmp_response(bytes<12>({0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}), natpmp_op::external_address, r),
            wire_errc::not_response);  // a request, echoed
  EXPECT_EQ(decode_natpmp_response(bytes<12>({0, 129, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}), natpmp_op::external_address, r),
            wire_errc::bad_opcode);
  EXPECT_EQ(decode_natpmp_response(bytes<12>({2, 128, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}), natpmp_op::external_address, r),
            wire_errc::bad_version);
  EXPECT_EQ(decode_natpmp_response(bytes<12>({0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), natpmp_op::external_address, r),
            wire_errc::bad_address);  // success with 0.0.0.0
  EXPECT_EQ(
      decode_natpmp_response(bytes<12>({0, 129, 0, 0, 0, 0, 0, 5, 0x13, 0x8c, 0x9c, 0x41}), natpmp_op::map_udp, r),
      wire_errc::too_short);
}

TEST(NatpmpCodec, EveryTruncationIsRejectedOrUnderstood) {
  const auto full = bytes<16>({0, 129, 0, 0, 0, 0, 0, 5, 0x13, 0x8c, 0x9c, 0x41, 0, 0, 0x0e, 0x10});
  for (std::size_t n = 0; n < full.size(); ++n) {
    natpmp_response r;
    EXPECT_TRUE(decode_natpmp_response(std::span(full).first(n), natpmp_op::map_udp, r)) << n;
  }
}
