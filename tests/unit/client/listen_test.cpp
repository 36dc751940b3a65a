// StartListen / StopListen on manager_core: reference counts, the SIP socket
// shared with GetMapping(SIP), and what stays bound when.
#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;

namespace {

using Listen = CoreTest;

ip_endpoint loopback(std::uint16_t port) { return ip_endpoint{ip_family::v4, ep("127.0.0.1:1").ip, port}; }

TEST_F(Listen, TheSameAddressTwiceIsOneMappingWithTwoReferences) {
  start();
  const auto at = loopback(free_port());
  const auto a = listen(at);
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.internal, at);
  const auto b = listen(at);
  ASSERT_FALSE(b.ec);
  EXPECT_EQ(b.m.internal, a.m.internal);
  EXPECT_EQ(server.requests(), 1);  // the second StartListen asked no one
  EXPECT_EQ(core->stats().listens, 1U);
  EXPECT_FALSE(core->stop_listen(at));
  EXPECT_EQ(core->stats().listens, 1U);  // one reference left
  EXPECT_TRUE(core->directory().contains(at));
  EXPECT_FALSE(core->stop_listen(at));
  EXPECT_EQ(core->stats().listens, 0U);
  EXPECT_FALSE(core->directory().contains(at));
  EXPECT_EQ(core->stop_listen(at), errc::not_listening);
  udp_socket again("127.0.0.1:" + std::to_string(at.port));
  EXPECT_TRUE(again.ok());  // the port is free again
}

TEST_F(Listen, GetMappingSipSharesTheListeningSocketUntilBothAreDone) {
  start();
  const auto l = listen(loopback(free_port()));
  ASSERT_FALSE(l.ec);
  const auto g = get(port_type::sip);
  ASSERT_FALSE(g.ec);
  EXPECT_EQ(g.m.internal, l.m.internal);  // the Contact incoming requests can reach
  EXPECT_EQ(core->stats().mappings, 0U);  // a listen socket, not a new mapping
  EXPECT_FALSE(core->stop_listen(l.m.internal));
  EXPECT_TRUE(core->directory().contains(l.m.internal));  // still used by GetMapping's caller
  EXPECT_FALSE(core->release(g.m.internal, g.m.external));
  EXPECT_FALSE(core->directory().contains(l.m.internal));
  EXPECT_EQ(core->stats().listens, 0U);
  EXPECT_EQ(core->release(g.m.internal, g.m.external), errc::unknown_mapping);
}

TEST_F(Listen, ReleaseWithoutASharedUserIsUnknown) {
  start();
  const auto l = listen(loopback(free_port()));
  ASSERT_FALSE(l.ec);
  EXPECT_EQ(core->release(l.m.internal, l.m.external), errc::unknown_mapping);  // StopListen's job
  EXPECT_EQ(core->stats().listens, 1U);
}

TEST_F(Listen, AnAddressBoundElsewhereIsAddressInUse) {
  start();
  udp_socket taken;
  EXPECT_EQ(listen(taken.local()).ec, errc::address_in_use);
  EXPECT_EQ(core->stats().listens, 0U);
}

TEST_F(Listen, AFailedFirstMappingLeavesNoListener) {
  server.set_mode(fake_stun_server::mode::silent);
  start();
  const auto at = loopback(free_port());
  const auto a = call([&](auto d, auto done) { core->start_listen(at, d, done); }, std::chrono::milliseconds(200));
  EXPECT_EQ(a.ec, errc::timeout);
  EXPECT_EQ(core->stats().listens, 0U);
  EXPECT_EQ(core->stop_listen(at), errc::not_listening);
}

TEST_F(Listen, StopListenOfAnUnknownAddressIsNotListening) {
  start();
  EXPECT_EQ(core->stop_listen(ep("127.0.0.1:9")), errc::not_listening);
}

}  // namespace
