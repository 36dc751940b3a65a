// Server entries, SRV/A resolution through a fake resolver, failover order.
#include "server_list.hpp"

#include <gtest/gtest.h>

#include <map>

#include "pinhole/errors.hpp"
#include "fake_resolver.hpp"
#include "resolver.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace std::chrono_literals;

namespace {

ip_endpoint ep(const char* t) { return *ip_endpoint::parse(t); }

}  // namespace

TEST(ServerSpec, ParsesAllForms) {
  auto s = parse_server_spec("192.0.2.1");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->literal);
  EXPECT_EQ(s->port, 3478);
  EXPECT_FALSE(s->explicit_port);
  s = parse_server_spec("192.0.2.1:5000");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->port, 5000);
  EXPECT_TRUE(s->explicit_port);
  s = parse_server_spec("[2001:db8::1]:3479");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "2001:db8::1");
  EXPECT_TRUE(s->literal);
  s = parse_server_spec("2001:db8::1");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->literal);
  EXPECT_FALSE(s->explicit_port);
  s = parse_server_spec("stun:stun.example.org:3480");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "stun.example.org");
  EXPECT_FALSE(s->literal);
  EXPECT_EQ(s->port, 3480);
}

TEST(ServerSpec, RejectsGarbage) {
  for (const char* bad : {"", ":", "host:", "host:0", "host:70000", "[::1", "[::1]x", "bad host", "h:1x"}) {
    EXPECT_FALSE(parse_server_spec(bad)) << bad;
  }
}

TEST(ResolveServers, SrvFirstForNamesWithoutPort) {
  fake_resolver dns;
  dns.srv_records["_stun._udp.example.org"] = {{20, 0, 4000, "backup.example.org"}, {10, 0, 3478, "main.example.org"}};
  dns.hosts["main.example.org"] = {"192.0.2.10"};
  dns.hosts["backup.example.org"] = {"192.0.2.20", "2001:db8::20"};
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(resolve_servers({"example.org"}, true, dns, out));
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0], ep("192.0.2.10:3478"));  // priority 10 first
  EXPECT_EQ(out[1], ep("192.0.2.20:4000"));  // SRV port, not 3478
  EXPECT_EQ(out[2], ep("[2001:db8::20]:4000"));
}

TEST(ResolveServers, FallsBackToAddressRecords) {
  fake_resolver dns;
  dns.hosts["stun.example.org"] = {"192.0.2.30"};
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(resolve_servers({"stun.example.org"}, true, dns, out));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0], ep("192.0.2.30:3478"));
  EXPECT_EQ(dns.srv_queries, std::vector<std::string>{"_stun._udp.stun.example.org"});
}

TEST(ResolveServers, ExplicitPortOrSrvOffSkipsSrv) {
  fake_resolver dns;
  dns.hosts["stun.example.org"] = {"192.0.2.30"};
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(resolve_servers({"stun.example.org:5000"}, true, dns, out));
  EXPECT_EQ(out[0], ep("192.0.2.30:5000"));
  ASSERT_FALSE(resolve_servers({"stun.example.org"}, false, dns, out));
  EXPECT_TRUE(dns.srv_queries.empty());
}

TEST(ResolveServers, KeepsOrderSkipsDuplicatesAndFailures) {
  fake_resolver dns;
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(resolve_servers({"127.0.0.1:1", "unknown.example", "[::1]:2", "127.0.0.1:1"}, true, dns, out));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0], ep("127.0.0.1:1"));
  EXPECT_EQ(out[1], ep("[::1]:2"));
}

TEST(ResolveServers, NothingUsableIsAnError) {
  fake_resolver dns;
  std::vector<ip_endpoint> out;
  EXPECT_EQ(resolve_servers({"unknown.example"}, true, dns, out), errc::resolve_failed);
  EXPECT_EQ(resolve_servers({"bad host"}, true, dns, out), errc::invalid_argument);
  EXPECT_EQ(resolve_servers({}, true, dns, out), errc::no_servers);
}

TEST(ResolveServers, LocalhostThroughTheSystemResolver) {
  system_resolver dns;
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(resolve_servers({"localhost:3478"}, true, dns, out));
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(out[0].is_loopback());
  EXPECT_EQ(out[0].port, 3478);
}

TEST(ServerList, FailedServersGoLastUntilTheirHoldDownEnds) {
  const auto a = ep("192.0.2.1:3478"), b = ep("192.0.2.2:3478"), c = ep("[2001:db8::1]:3478");
  server_list list({a, b, c}, 30s);
  const server_list::clock::time_point t0{std::chrono::hours(1)};
  EXPECT_EQ(list.candidates(ip_family::v4, t0), (std::vector<ip_endpoint>{a, b}));
  EXPECT_EQ(list.candidates(ip_family::v6, t0), (std::vector<ip_endpoint>{c}));
  EXPECT_TRUE(list.mark_failed(a, t0));
  EXPECT_FALSE(list.mark_failed(a, t0 + 1s));  // already down: reported once
  EXPECT_TRUE(list.is_down(a, t0 + 2s));
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 2s), (std::vector<ip_endpoint>{b, a}));
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 32s), (std::vector<ip_endpoint>{a, b}));
  list.mark_failed(b, t0 + 2s);
  // Both down: the one that comes back first is tried first.
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 3s), (std::vector<ip_endpoint>{a, b}));
  list.mark_ok(b);
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 3s), (std::vector<ip_endpoint>{b, a}));
  EXPECT_TRUE(list.has_family(ip_family::v6));
}

TEST(ServerList, ReplaceKeepsTheHoldDownOfServersThatStay) {
  const auto a = ep("192.0.2.1:3478"), b = ep("192.0.2.2:3478"), c = ep("192.0.2.3:3478");
  server_list list({a, b}, 30s);
  const server_list::clock::time_point t0{std::chrono::hours(1)};
  list.mark_failed(a, t0);
  list.replace({c, a});  // b left, c is new; a is still down
  EXPECT_EQ(list.all(), (std::vector<ip_endpoint>{c, a}));
  EXPECT_TRUE(list.is_down(a, t0 + 1s));
  EXPECT_FALSE(list.is_down(c, t0 + 1s));
  EXPECT_FALSE(list.is_down(b, t0 + 1s));  // unknown now
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 1s), (std::vector<ip_endpoint>{c, a}));
  list.replace({a});
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 1s), (std::vector<ip_endpoint>{a}));
}
