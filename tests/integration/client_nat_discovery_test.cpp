// RFC 5780 NAT behaviour discovery and pinhole-probe over real loopback
// sockets, against pinholed (RFC 5780 on 127.0.0.1 + 127.0.0.2) and coturn.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "client_support.hpp"
#include "pinhole/errors.hpp"
#include "pinhole/nat.hpp"
#include "pinhole/port_manager.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;

namespace {

// pinholed in RFC 5780 mode: primary 127.0.0.1:p, alternate 127.0.0.2:p+1.
struct rfc5780_pinholed {
  std::uint16_t port = test::free_port_pair();
  ip_endpoint primary = ep("127.0.0.1:" + std::to_string(port));
  // RFC 5780 mode binds only the four role sockets; the explicit --listen
  // adds one plain listener on a free port.
  test::pinholed daemon{
      {"--rfc5780-primary", "127.0.0.1", "--rfc5780-alternate", "127.0.0.2", "--primary-port", std::to_string(port),
       "--alternate-port", std::to_string(port + 1), "--listen", "127.0.0.1:" + std::to_string(test::free_port())},
      primary};
};

using test::turnserver_path;

// coturn as a third-party STUN server, RFC 5780 enabled with two IPs and an
// alternate port.
struct coturn {
  std::uint16_t port = test::free_port_pair();
  ip_endpoint primary = ep("127.0.0.1:" + std::to_string(port));
  std::optional<test::child_process> proc;
  bool ready = false;
  explicit coturn(const std::string& path) {
    proc.emplace(
        std::vector<std::string>{path, "-n", "--stun-only", "--listening-ip", "127.0.0.1", "--listening-ip",
                                 "127.0.0.2", "--listening-port", std::to_string(port), "--alt-listening-port",
                                 std::to_string(port + 1), "--no-cli", "--no-tls", "--no-dtls", "--log-file", "stdout"},
        log());
    ready = proc->started() && test::stun_answers(primary);
  }
  coturn(const coturn&) = delete;
  coturn& operator=(const coturn&) = delete;
  ~coturn() {
    proc.reset();
    if (ready) std::remove(log().c_str());  // kept when it failed to start
  }
  std::string log() const { return "/tmp/pinhole-coturn-" + std::to_string(port) + ".log"; }
};

discovery_options discovery_for(const ip_endpoint& server) {
  discovery_options o;
  o.server = server.to_string();
  o.timeout = 1000ms;
  return o;
}

void expect_open_internet(const nat_report& r, const ip_endpoint& server) {
  EXPECT_EQ(r.server, server);
  EXPECT_EQ(r.local.ip_string(), "127.0.0.1");
  EXPECT_EQ(r.mapped, r.local);
  EXPECT_FALSE(r.behind_nat);  // mapped == local: no NAT on loopback
  ASSERT_TRUE(r.other);
  EXPECT_EQ(r.other->ip_string(), "127.0.0.2");
  EXPECT_EQ(r.mapping, nat_mapping::endpoint_independent);
  EXPECT_EQ(r.filtering, nat_filtering::endpoint_independent);
  EXPECT_EQ(r.hairpinning, tristate::yes);
  EXPECT_EQ(r.port_preservation, tristate::yes);
  EXPECT_EQ(r.classic, classic_nat::open_internet);
}

}  // namespace

TEST(NatDiscovery, Rfc5780AgainstPinholed) {
  rfc5780_pinholed srv;
  ASSERT_TRUE(srv.daemon.ready()) << "pinholed RFC 5780 mode on port " << srv.port;
  nat_report r;
  ASSERT_FALSE(discover_nat(discovery_for(srv.primary), r));
  expect_open_internet(r, srv.primary);
}

TEST(NatDiscovery, WithoutAlternateAddressBehaviourStaysUnknown) {
  const auto a = test::pinholed::plain_address();
  test::pinholed plain({"--listen", a.to_string()}, a);
  ASSERT_TRUE(plain.ready());
  nat_report r;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(discover_nat(discovery_for(a), r));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_FALSE(r.other);
  EXPECT_FALSE(r.behind_nat);
  EXPECT_EQ(r.mapping, nat_mapping::unknown);
  EXPECT_EQ(r.filtering, nat_filtering::unknown);
  EXPECT_EQ(r.classic, classic_nat::unknown);
  EXPECT_EQ(r.hairpinning, tristate::yes);  // needs no alternate address
}

TEST(NatDiscovery, OtherAddressEqualToPrimaryIsNoAlternate) {
  test::fake_stun_server srv;
  srv.set_mode(test::fake_stun_server::mode::other_is_primary);
  nat_report r;
  ASSERT_FALSE(discover_nat(discovery_for(srv.address()), r));
  EXPECT_FALSE(r.other);
  EXPECT_EQ(r.mapping, nat_mapping::unknown);
  EXPECT_EQ(srv.requests(), 1);  // no behaviour tests were sent to a fake alternate
}

TEST(NatDiscovery, AnswersALongTermChallenge) {
  test::fake_stun_server srv;
  srv.set_mode(test::fake_stun_server::mode::long_term_auth);
  srv.set_long_term("alice", "s3cret");
  auto o = discovery_for(srv.address());
  o.auth = credentials{"alice", "s3cret"};
  nat_report r;
  ASSERT_FALSE(discover_nat(o, r));
  EXPECT_FALSE(r.behind_nat);    // the mapping came back, signed with the long-term key
  EXPECT_EQ(srv.requests(), 2);  // 401 with REALM and NONCE, then the answer
  o.auth = credentials{"alice", "wrong"};
  nat_report bad;
  EXPECT_EQ(discover_nat(o, bad), errc::integrity_failure);
}

TEST(NatDiscovery, SilentServerMeansUdpBlocked) {
  test::fake_stun_server srv;
  srv.set_mode(test::fake_stun_server::mode::silent);
  auto o = discovery_for(srv.address());
  o.timeout = 300ms;
  nat_report r;
  EXPECT_EQ(discover_nat(o, r), errc::timeout);
  EXPECT_EQ(r.classic, classic_nat::udp_blocked);
}

TEST(NatDiscovery, Ipv6Loopback) {
  const auto a6 = test::pinholed::plain_address("::1");
  test::pinholed v6({"--listen", a6.to_string()}, a6);
  ASSERT_TRUE(v6.ready());
  auto o = discovery_for(a6);
  o.behavior = false;
  nat_report r;
  ASSERT_FALSE(discover_nat(o, r));
  EXPECT_EQ(r.local.family, ip_family::v6);
  EXPECT_EQ(r.mapped, r.local);
  EXPECT_FALSE(r.behind_nat);
  EXPECT_EQ(r.server, a6);
}

TEST(NatDiscovery, ResolvesLocalhost) {
  rfc5780_pinholed srv;
  ASSERT_TRUE(srv.daemon.ready());
  auto o = discovery_for(srv.primary);
  o.server = "localhost:" + std::to_string(srv.port);
  o.behavior = false;
  nat_report r;
  const auto ec = discover_nat(o, r);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(r.server.is_loopback());
}

TEST(Coturn, MappingAndRfc5780Behaviour) {
  const auto path = turnserver_path();
  if (path.empty()) GTEST_SKIP() << "turnserver (coturn) is not installed; apt-get install coturn";
  coturn srv(path);
  ASSERT_TRUE(srv.ready) << "coturn did not answer on " << srv.primary.to_string();
  // The port manager against a third-party server.
  options o;
  o.servers = {srv.primary.to_string()};
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm) << ec.message();
  mapping m;
  ASSERT_FALSE(pm->get_mapping("127.0.0.1:5004", port_type::audio_rtp, m));
  EXPECT_EQ(m.external, m.internal);
  EXPECT_EQ(m.server, srv.primary);
  // NAT discovery against coturn's RFC 5780 implementation.
  nat_report r;
  ASSERT_FALSE(discover_nat(discovery_for(srv.primary), r));
  expect_open_internet(r, srv.primary);
}

#ifdef PINHOLE_PROBE_PATH
TEST(Probe, JsonWithStableKeys) {
  rfc5780_pinholed srv;
  ASSERT_TRUE(srv.daemon.ready());
  const auto res =
      test::run({PINHOLE_PROBE_PATH, "--server", srv.primary.to_string(), "--json", "--behavior", "--timeout", "1000"});
  ASSERT_EQ(res.exit_code, 0) << res.out;
  const auto j = nlohmann::json::parse(res.out);
  for (const char* k : {"local", "mapped", "server", "nat", "behind_nat"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["server"], srv.primary.to_string());
  EXPECT_EQ(j["mapped"], j["local"]);
  EXPECT_EQ(j["behind_nat"], false);
  EXPECT_EQ(j["nat"]["mapping"], "endpoint-independent");
  EXPECT_EQ(j["nat"]["filtering"], "endpoint-independent");
  EXPECT_EQ(j["nat"]["hairpinning"], "yes");
  EXPECT_EQ(j["nat"]["port_preservation"], "yes");
  EXPECT_EQ(j["nat"]["classic"], "open internet");
}

TEST(Probe, TextOutputAndLocalBinding) {
  rfc5780_pinholed srv;
  ASSERT_TRUE(srv.daemon.ready());
  const auto port = test::free_port();
  const auto res = test::run(
      {PINHOLE_PROBE_PATH, "--server", srv.primary.to_string(), "--local", "127.0.0.1:" + std::to_string(port)});
  ASSERT_EQ(res.exit_code, 0) << res.out;
  EXPECT_NE(res.out.find("local:             127.0.0.1:" + std::to_string(port)), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("mapped:            127.0.0.1:" + std::to_string(port)), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("behind NAT:        no"), std::string::npos) << res.out;
}

TEST(Probe, ExitCodes) {
  // 1: nobody listens (ICMP port unreachable), or nobody answers.
  const test::dead_endpoint nobody;
  const auto dead = nobody.text();
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--server", dead, "--timeout", "300"}).exit_code, 1);
  test::fake_stun_server silent;
  silent.set_mode(test::fake_stun_server::mode::silent);
  const auto t =
      test::run({PINHOLE_PROBE_PATH, "--server", silent.address().to_string(), "--json", "--timeout", "300"});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_TRUE(nlohmann::json::parse(t.out).contains("error"));
  // 2: usage errors.
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--bogus"}).exit_code, 2);
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--timeout", "abc"}).exit_code, 2);
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--local", "nonsense"}).exit_code, 2);
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--server"}).exit_code, 2);
  // 3: an error response (pinholed requires credentials we do not send).
  const auto a = test::pinholed::plain_address();
  test::pinholed secured({"--listen", a.to_string(), "--auth-username", "u", "--auth-password", "p", "--require-auth"},
                         a);
  ASSERT_TRUE(secured.ready());
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--server", a.to_string()}).exit_code, 3);
  EXPECT_EQ(test::run({PINHOLE_PROBE_PATH, "--server", a.to_string(), "--username", "u", "--password", "p"}).exit_code,
            0);
  // 0: help documents the exit codes.
  const auto help = test::run({PINHOLE_PROBE_PATH, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit status"), std::string::npos);
}
#endif
