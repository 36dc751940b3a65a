// Handing mappings out (hand_out.cpp) and opening their sockets
// (open_slot.cpp): port ranges, RTP/RTCP pairs and the reserved RTCP port.
#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;

namespace {

using HandOut = CoreTest;

TEST_F(HandOut, APortRangeIsHonouredAndAFullRangeIsNoPortAvailable) {
  const auto p = free_port();
  opts.port_ranges[static_cast<std::size_t>(port_type::sip)] = port_range{p, p};
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.internal.port, p);
  EXPECT_EQ(a.m.internal, ep("127.0.0.1:" + std::to_string(p)));  // bind_ipv4
  EXPECT_EQ(get().ec, errc::no_port_available);
  EXPECT_FALSE(core->release(a.m.internal, a.m.external));
  EXPECT_FALSE(get().ec);  // free again
}

TEST_F(HandOut, RtcpGetsThePortNextToItsRtpMapping) {
  opts.rtp_rtcp_pairs = true;
  start();
  const auto rtp = get(port_type::audio_rtp);
  ASSERT_FALSE(rtp.ec) << rtp.ec.message();
  const auto p = rtp.m.internal.port;
  EXPECT_EQ(p % 2, 0);              // RFC 3550 §11: RTP even, RTCP the next (odd) port
  EXPECT_EQ(server.requests(), 1);  // the reserved RTCP port is not mapped yet
  const auto rtcp = get(port_type::audio_rtcp);
  ASSERT_FALSE(rtcp.ec) << rtcp.ec.message();
  EXPECT_EQ(rtcp.m.internal.port, p + 1);
  EXPECT_EQ(rtcp.m.type, port_type::audio_rtcp);
  EXPECT_EQ(core->stats().mappings, 2U);
  // Each is released on its own now that both are handed out.
  EXPECT_FALSE(core->release(rtp.m.internal, rtp.m.external));
  EXPECT_EQ(core->stats().mappings, 1U);
  EXPECT_TRUE(core->directory().contains(rtcp.m.internal));
}

TEST_F(HandOut, ReleasingRtpFreesItsReservedRtcpPort) {
  opts.rtp_rtcp_pairs = true;
  start();
  const auto rtp = get(port_type::audio_rtp);
  ASSERT_FALSE(rtp.ec);
  const auto p = rtp.m.internal.port;
  {
    udp_socket held("127.0.0.1:" + std::to_string(p + 1));
    EXPECT_FALSE(held.ok());  // reserved
  }
  EXPECT_FALSE(core->release(rtp.m.internal, rtp.m.external));
  udp_socket freed("127.0.0.1:" + std::to_string(p + 1));
  EXPECT_TRUE(freed.ok());
}

TEST_F(HandOut, RtcpWithoutAReservationOpensItsOwnPort) {
  opts.rtp_rtcp_pairs = true;
  start();
  const auto rtcp = get(port_type::audio_rtcp);
  ASSERT_FALSE(rtcp.ec) << rtcp.ec.message();
  EXPECT_EQ(rtcp.m.type, port_type::audio_rtcp);
  EXPECT_EQ(core->stats().mappings, 1U);
}

}  // namespace
