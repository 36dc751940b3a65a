// Keep-alives and re-checks on manager_core: a rebinding is mapping_changed,
// a mapping no server confirms is mapping_lost until it is restored, and
// Binding fails over between servers (keepalive.cpp).
#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;
using fake = fake_stun_server::mode;

namespace {

using Keepalive = CoreTest;

TEST_F(Keepalive, RecheckAllReportsARebindingAsMappingChanged) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec);
  server.set_lie(ep("198.51.100.7:4444"));
  server.set_mode(fake::lie);
  core->recheck_all();
  ASSERT_TRUE(run_until([&] { return count(event_type::mapping_changed) == 1; }));
  EXPECT_EQ(events.back().current.external, ep("198.51.100.7:4444"));
  EXPECT_EQ(events.back().current.internal, a.m.internal);
  EXPECT_EQ(events.back().previous_external, a.m.external);
  EXPECT_TRUE(run_until([&] { return core->stats().keepalives == 1; }));
}

TEST_F(Keepalive, ALostMappingIsReportedOnceAndRestoredWhenConfirmed) {
  start();
  ASSERT_FALSE(get().ec);
  server.set_mode(fake::silent);
  core->recheck_all();
  ASSERT_TRUE(run_until([&] { return count(event_type::mapping_lost) == 1; }));
  EXPECT_EQ(count(event_type::server_unreachable), 1U);
  core->recheck_all();  // still silent: lost once, not again
  run_for(std::chrono::milliseconds(400));
  EXPECT_EQ(count(event_type::mapping_lost), 1U);
  server.set_mode(fake::normal);
  core->recheck_all();
  ASSERT_TRUE(run_until([&] { return count(event_type::mapping_restored) == 1; }));
  EXPECT_EQ(count(event_type::server_recovered), 1U);
}

TEST_F(Keepalive, TheKeepaliveTimerChecksOnItsOwn) {
  opts.keepalive_interval = std::chrono::milliseconds(50);
  start();
  ASSERT_FALSE(get().ec);
  EXPECT_TRUE(run_until([&] { return core->stats().keepalives >= 2; }));
  EXPECT_GE(server.requests(), 3);
  EXPECT_TRUE(events.empty());  // the same address every time
}

TEST_F(Keepalive, KeepalivesCanBeDisabled) {
  opts.keepalive_interval = std::chrono::milliseconds(0);
  start();
  ASSERT_FALSE(get().ec);
  run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(Keepalive, ASilentServerFailsOverToTheNext) {
  fake_stun_server second;
  server.set_mode(fake::silent);
  start({server.address(), second.address()});
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.server, second.address());
  ASSERT_EQ(count(event_type::server_unreachable), 1U);
  EXPECT_EQ(events.front().server, server.address());
}

TEST_F(Keepalive, TryAlternateAsksTheNamedServer) {
  fake_stun_server alternate;
  server.set_lie(alternate.address());
  server.set_mode(fake::try_alternate);
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.server, alternate.address());
}

TEST_F(Keepalive, A5xxFailsOverAndIsTheAnswerWhenEveryServerGivesIt) {
  fake_stun_server second;
  server.set_mode(fake::error_500);
  start({server.address(), second.address()});
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.server, second.address());
  second.set_mode(fake::error_500);
  EXPECT_EQ(get().ec, errc::server_error);
}

TEST_F(Keepalive, ARecheckMakesTheMappingServerFirst) {
  fake_stun_server second;
  server.set_mode(fake::silent);
  start({server.address(), second.address()});
  ASSERT_FALSE(get().ec);
  const int before = second.requests();
  server.set_mode(fake::normal);
  core->recheck_all();
  ASSERT_TRUE(run_until([&] { return core->stats().keepalives == 1; }));
  EXPECT_EQ(second.requests(), before + 1);  // the server that made it is asked first
  EXPECT_EQ(count(event_type::mapping_changed), 0U);
}

}  // namespace
