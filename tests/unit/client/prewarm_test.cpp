// The pre-warmed cache on manager_core (prewarm.cpp): filled at start,
// served without a round trip, refilled, silent about its own checks, and
// switched off behind a NAT whose mappings depend on the destination.
#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;
using fake = fake_stun_server::mode;

namespace {

using Prewarm = CoreTest;

constexpr auto sip = static_cast<std::size_t>(port_type::sip);

TEST_F(Prewarm, TheCacheFillsAndServesGetMappingThenRefills) {
  opts.prewarm[sip] = 2;
  // Requests are counted exactly: no retransmission on a loaded machine
  // (the harness's 40 ms RTO is for the tests of timeouts).
  opts.transaction.rto = std::chrono::milliseconds(1000);
  start();
  ASSERT_TRUE(run_until([&] { return core->stats().prewarmed == 2; }));
  EXPECT_EQ(server.requests(), 2);
  std::optional<answer> got;
  core->get_mapping(ep("127.0.0.1:40000"), port_type::sip, clock::now() + std::chrono::seconds(1),
                    [&](std::error_code ec, const mapping& m) {
                      got = answer{ec, m};
                    });
  // Answered within the call itself: the cache needs no round trip.
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->ec);
  EXPECT_EQ(got->m.server, server.address());
  EXPECT_EQ(core->stats().mappings, 1U);
  EXPECT_EQ(core->stats().prewarmed, 1U);
  ASSERT_TRUE(run_until([&] { return core->stats().prewarmed == 2; }));
  EXPECT_EQ(server.requests(), 3);
}

TEST_F(Prewarm, CachedMappingsAreCheckedButReportNothing) {
  opts.prewarm[sip] = 1;
  opts.keepalive_interval = std::chrono::milliseconds(50);
  start();
  ASSERT_TRUE(run_until([&] { return core->stats().prewarmed == 1; }));
  server.set_lie(ep("198.51.100.7:4444"));
  server.set_mode(fake::lie);
  ASSERT_TRUE(run_until([&] { return core->stats().keepalives >= 2; }));
  EXPECT_TRUE(events.empty());  // nobody holds it: no mapping_changed
  const auto a = get();
  ASSERT_FALSE(a.ec);
  EXPECT_EQ(a.m.external, ep("198.51.100.7:4444"));  // what the last check saw
}

TEST_F(Prewarm, ADestinationDependentNatSwitchesTheCacheOff) {
  server.set_mode(fake::behind_symmetric);
  opts.prewarm[sip] = 2;
  start();
  ASSERT_TRUE(run_until([&] { return server.other_requests() >= 2; }));
  run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(core->stats().prewarmed, 0U);
  const int asked = server.requests();
  run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server.requests(), asked);  // no refill
  EXPECT_EQ(get().ec, errc::destination_dependent_mapping);
}

TEST_F(Prewarm, NoCacheForIpv6Remotes) {
  opts.prewarm[sip] = 1;
  start();
  ASSERT_TRUE(run_until([&] { return core->stats().prewarmed == 1; }));
  EXPECT_EQ(get(port_type::sip, ep("[::1]:40000")).ec, errc::family_not_supported);
  EXPECT_EQ(core->stats().prewarmed, 1U);
}

}  // namespace
