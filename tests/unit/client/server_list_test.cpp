// Server entries, SRV/A resolution through a fake resolver, failover order.
#include "server_list.hpp"

#include <gtest/gtest.h>

#include <map>

#include "fake_resolver.hpp"
#include "pinhole/errors.hpp"
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

TEST(ResolveServers, SaysWhetherEveryNameResolvedAndLiteralsNeedNoDns) {
  fake_resolver dns;
  dns.set_host("known.example", {"192.0.2.7"});
  std::vector<ip_endpoint> out;
  bool complete = false;
  ASSERT_FALSE(resolve_servers({"known.example:3478", "unknown.example:3478"}, false, dns, out, &complete));
  EXPECT_FALSE(complete);
  EXPECT_EQ(out, (std::vector<ip_endpoint>{ep("192.0.2.7:3478")}));
  ASSERT_FALSE(resolve_servers({"known.example:3478", "192.0.2.9"}, false, dns, out, &complete));
  EXPECT_TRUE(complete);
  const int queries = dns.host_query_count();
  ASSERT_FALSE(literal_servers({"unknown.example", "192.0.2.9", "[2001:db8::1]:5"}, out));
  EXPECT_EQ(out, (std::vector<ip_endpoint>{ep("192.0.2.9:3478"), ep("[2001:db8::1]:5")}));
  EXPECT_EQ(dns.host_query_count(), queries);  // no DNS
  EXPECT_EQ(literal_servers({"bad host"}, out), errc::invalid_argument);
  EXPECT_EQ(literal_servers({}, out), errc::no_servers);
}

TEST(ServerList, FailedServersGoLastUntilTheyAnswerAgain) {
  const auto a = ep("192.0.2.1:3478"), b = ep("192.0.2.2:3478"), c = ep("[2001:db8::1]:3478");
  server_list list({a, b, c}, 5s, 60s);
  const server_list::clock::time_point t0{std::chrono::hours(1)};
  EXPECT_EQ(list.candidates(ip_family::v4, t0), (std::vector<ip_endpoint>{a, b}));
  EXPECT_EQ(list.candidates(ip_family::v6, t0), (std::vector<ip_endpoint>{c}));
  EXPECT_FALSE(list.next_probe());
  EXPECT_TRUE(list.mark_failed(a, t0));
  EXPECT_TRUE(list.is_down(a));
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 2s), (std::vector<ip_endpoint>{b, a}));
  // Time alone does not bring it back: calls keep skipping it; only a probe
  // (or any transaction) that it answers does.
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 600s), (std::vector<ip_endpoint>{b, a}));
  EXPECT_EQ(list.next_probe(), t0 + 5s);
  EXPECT_TRUE(list.probe_due(t0 + 4s).empty());
  EXPECT_EQ(list.probe_due(t0 + 5s), (std::vector<ip_endpoint>{a}));
  // Each further failure doubles the wait for the next probe, up to the cap.
  EXPECT_FALSE(list.mark_failed(a, t0 + 5s));  // already down: reported once
  EXPECT_EQ(list.next_probe(), t0 + 15s);
  EXPECT_FALSE(list.mark_failed(a, t0 + 15s));
  EXPECT_EQ(list.next_probe(), t0 + 35s);
  for (int i = 0; i < 10; ++i) list.mark_failed(a, t0 + 35s);
  EXPECT_EQ(list.next_probe(), t0 + 95s);  // capped at 60 s
  list.mark_failed(b, t0 + 40s);
  // Both down: the one with fewer failures is tried first.
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 41s), (std::vector<ip_endpoint>{b, a}));
  EXPECT_FALSE(list.mark_ok(c));  // never down
  EXPECT_TRUE(list.mark_ok(a));   // recovered
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 41s), (std::vector<ip_endpoint>{a, b}));
  EXPECT_EQ(list.next_probe(), t0 + 45s);
  EXPECT_TRUE(list.mark_ok(b));
  EXPECT_FALSE(list.next_probe());
  EXPECT_TRUE(list.has_family(ip_family::v6));
}

TEST(ServerList, ReplaceKeepsTheHealthOfServersThatStay) {
  const auto a = ep("192.0.2.1:3478"), b = ep("192.0.2.2:3478"), c = ep("192.0.2.3:3478");
  server_list list({a, b}, 30s);
  const server_list::clock::time_point t0{std::chrono::hours(1)};
  list.mark_failed(a, t0);
  list.replace({c, a});  // b left, c is new; a is still down
  EXPECT_EQ(list.all(), (std::vector<ip_endpoint>{c, a}));
  EXPECT_TRUE(list.is_down(a));
  EXPECT_FALSE(list.is_down(c));
  EXPECT_FALSE(list.is_down(b));  // unknown now
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 1s), (std::vector<ip_endpoint>{c, a}));
  list.replace({a});
  EXPECT_EQ(list.candidates(ip_family::v4, t0 + 1s), (std::vector<ip_endpoint>{a}));
}
