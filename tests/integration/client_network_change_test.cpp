// Network changes and cheaper keep-alives (issue #14 items 3 and 4) over real
// sockets on loopback, against the in-test STUN responder, which counts the
// Binding requests it gets. (The rtnetlink monitor itself, moving a host
// between two NATs, is tests/netns/network_change.sh.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "client_support.hpp"
#include "event_log.hpp"
#include "manager_core.hpp"
#include "pinhole/port_manager.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;
using fake = test::fake_stun_server;

namespace {

options opts_for(const fake& srv) {
  options o;
  o.servers = {srv.address().to_string()};
  o.use_srv = false;
  o.call_timeout = 3000ms;  // a loaded CI machine with sanitizers
  o.transaction.rto = 50ms;
  o.monitor_network = false;  // these tests say when the network changed
  o.port_mapping.clear();     // loopback only: no PCP, NAT-PMP or SSDP to the host's default gateway
  return o;
}

std::unique_ptr<port_manager> make(options o) {
  std::error_code ec;
  auto pm = port_manager::create(std::move(o), ec);
  EXPECT_TRUE(pm) << ec.message();
  return pm;
}

// Sends application datagrams from the mapping every 40 ms for `span` and
// returns how many Binding requests reached the server meanwhile.
int requests_while_sending(port_manager& pm, const mapping& m, const fake& srv, std::chrono::milliseconds span) {
  test::udp_socket peer;
  const std::string rtp(160, '\x80');
  const int before = srv.requests();
  const auto end = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < end) {
    EXPECT_FALSE(pm.send(m.internal, peer.local(), std::as_bytes(std::span<const char>(rtp.data(), rtp.size()))));
    std::this_thread::sleep_for(40ms);
  }
  return srv.requests() - before;
}

TEST(KeepAliveSkip, NoStunKeepAliveWhileTheApplicationSends) {
  fake srv;
  auto o = opts_for(srv);
  o.keepalive_interval = 200ms;
  o.skip_keepalive_on_traffic = true;
  auto pm = make(o);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, m));
  // 1.5 s of media = 7 keep-alive intervals: not one Binding request.
  EXPECT_EQ(requests_while_sending(*pm, m, srv, 1500ms), 0);
  EXPECT_GE(pm->stats().keepalives_skipped, 3U);
  // The media stops: the keep-alives come back one interval later.
  const int quiet = srv.requests();
  for (int i = 0; i < 100 && srv.requests() < quiet + 2; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_GE(srv.requests(), quiet + 2);
}

TEST(KeepAliveSkip, OffByDefaultKeepAlivesGoOutDespiteTraffic) {
  fake srv;
  auto o = opts_for(srv);
  EXPECT_FALSE(o.skip_keepalive_on_traffic);
  o.keepalive_interval = 200ms;
  auto pm = make(o);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, m));
  EXPECT_GE(requests_while_sending(*pm, m, srv, 1500ms), 4);
  EXPECT_EQ(pm->stats().keepalives_skipped, 0U);
}

TEST(KeepAliveSkip, IdleMappingsKeepTheirKeepAlives) {
  fake srv;
  auto o = opts_for(srv);
  o.keepalive_interval = 200ms;
  o.skip_keepalive_on_traffic = true;
  auto pm = make(o);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, m));
  const int before = srv.requests();
  std::this_thread::sleep_for(1000ms);
  EXPECT_GE(srv.requests() - before, 3);  // nothing sent: nothing to skip for
}

TEST(NetworkChange, ExplicitCallRechecksEveryMappingAtOnce) {
  fake srv;
  test::event_log log;
  auto o = opts_for(srv);
  o.keepalive_interval = 60000ms;  // only the network change can explain a re-check
  o.on_event = log.handler();
  auto pm = make(o);
  mapping a, b;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, a));
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5006"), port_type::video_rtp, b));
  // Another NAT in front now.
  srv.set_lie(ep("198.51.100.9:61000"));
  srv.set_mode(fake::mode::lie);
  pm->network_changed();
  ASSERT_TRUE(log.wait_for(event_type::network_changed, 3000ms));
  const auto first = log.wait_for(event_type::mapping_changed, 3000ms, 1);
  const auto second = log.wait_for(event_type::mapping_changed, 3000ms, 2);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->current.external, ep("198.51.100.9:61000"));
  EXPECT_EQ(second->current.external, ep("198.51.100.9:61000"));
  EXPECT_NE(first->current.internal, second->current.internal);  // both mappings
  EXPECT_EQ(pm->stats().network_changes, 1U);
  // The server is gone on the new network: reported lost, not left silent.
  srv.set_mode(fake::mode::silent);
  pm->network_changed();
  EXPECT_TRUE(log.wait_for(event_type::mapping_lost, 5000ms));
}

TEST(NetworkChange, PrewarmedCacheIsRefilledOnTheNewNetwork) {
  fake srv;
  auto o = opts_for(srv);
  o.keepalive_interval = 60000ms;
  o.prewarm[static_cast<std::size_t>(port_type::audio_rtp)] = 2;
  o.check_destination_dependence = false;
  auto pm = make(o);
  for (int i = 0; i < 150 && pm->stats().prewarmed < 2; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(pm->stats().prewarmed, 2U);
  const int before = srv.requests();
  srv.set_lie(ep("198.51.100.9:61000"));
  srv.set_mode(fake::mode::lie);
  pm->network_changed();
  // Two fresh mappings made on the "new network", and the cache full again.
  for (int i = 0; i < 150 && (srv.requests() < before + 2 || pm->stats().prewarmed < 2); ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(srv.requests(), before + 2);
  EXPECT_EQ(pm->stats().prewarmed, 2U);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, m));
  EXPECT_EQ(m.external, ep("198.51.100.9:61000"));  // learnt after the change
}

TEST(NetworkChange, HooksRunOnEveryChange) {
  // The port-mapping protocols hook "probe the gateway again" here.
  fake srv;
  boost::asio::io_context io;
  client::manager_core core(io, opts_for(srv), {srv.address()});
  int runs = 0;
  core.add_network_hook([&] { ++runs; });
  core.add_network_hook([] { throw std::runtime_error("a failing hook"); });
  core.add_network_hook([&] { ++runs; });
  core.network_changed();
  core.network_changed();
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(core.network_changes(), 2U);
  core.shutdown();
  io.run_for(100ms);
}

TEST(NetworkChange, MonitorStartsAndStopsCleanly) {
  // On by default; where rtnetlink is available it runs on the io thread
  // and goes away with the manager.
  fake srv;
  auto o = opts_for(srv);
  o.monitor_network = true;
  EXPECT_TRUE(options{}.monitor_network);
  auto pm = make(o);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, m));
  pm.reset();
}

}  // namespace
