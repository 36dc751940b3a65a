// libpinhole's TURN client (RFC 8656) against coturn on loopback with
// long-term credentials: relayed GetMapping, data both ways through the
// relay (Send/Data indications, then ChannelData), permissions, Refresh,
// deallocation, and the allocation errors.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "client_support.hpp"
#include "pinhole/errors.hpp"
#include "pinhole/pinhole.h"
#include "pinhole/port_manager.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;

namespace {

// coturn with long-term credentials (alice:secret, realm pinhole.test) on a
// free loopback port, relaying from 127.0.0.1 to loopback peers.
struct coturn_relay {
  std::uint16_t port = test::free_port();
  ip_endpoint addr = ep("127.0.0.1:" + std::to_string(port));
  std::optional<test::child_process> proc;
  bool ready = false;
  explicit coturn_relay(std::vector<std::string> extra = {}) {
    const auto path = test::turnserver_path();
    if (path.empty()) return;
    std::vector<std::string> argv{path, "-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1",
                                  "--listening-port", std::to_string(port), "--lt-cred-mech", "--user",
                                  "alice:secret", "--realm", "pinhole.test", "--allow-loopback-peers", "--no-cli",
                                  "--no-tls", "--no-dtls", "--no-tcp", "--log-file", "stdout", "--verbose"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc.emplace(argv, log());
    ready = proc->started() && test::stun_answers(addr);
  }
  coturn_relay(const coturn_relay&) = delete;
  coturn_relay& operator=(const coturn_relay&) = delete;
  ~coturn_relay() {
    proc.reset();
    if (ready && !::testing::Test::HasFailure()) std::remove(log().c_str());
  }
  std::string log() const { return "/tmp/pinhole-turn-" + std::to_string(port) + ".log"; }
  std::string log_text() const {
    std::ifstream f(log());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

// What on_datagram received, for waiting on it from the test thread.
struct inbox {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<ip_endpoint, std::string>> got;
  void add(const ip_endpoint& from, std::span<const std::byte> d) {
    std::lock_guard lk(m);
    got.emplace_back(from, std::string(reinterpret_cast<const char*>(d.data()), d.size()));
    cv.notify_all();
  }
  bool wait_for(const std::string& text, std::chrono::milliseconds t = 3000ms) {
    std::unique_lock lk(m);
    return cv.wait_for(lk, t, [&] {
      return std::any_of(got.begin(), got.end(), [&](const auto& g) { return g.second == text; });
    });
  }
  bool has(const std::string& text) {
    std::lock_guard lk(m);
    return std::any_of(got.begin(), got.end(), [&](const auto& g) { return g.second == text; });
  }
  std::optional<ip_endpoint> from_of(const std::string& text) {
    std::lock_guard lk(m);
    for (const auto& g : got) {
      if (g.second == text) return g.first;
    }
    return std::nullopt;
  }
};

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

options relay_options(const coturn_relay& t, const std::string& stun, const std::string& password, inbox* in) {
  options o;
  o.servers = {stun};
  o.use_srv = false;
  o.turn_servers = {turn_server{"turn:" + t.addr.to_string(), "alice", password}};
  o.call_timeout = 3000ms;
  if (in != nullptr) o.on_datagram = [in](const mapping&, const ip_endpoint& from, std::span<const std::byte> d) { in->add(from, d); };
  return o;
}

#define REQUIRE_COTURN(t)                                   \
  if (!(t).ready) {                                         \
    if (test::turnserver_path().empty()) GTEST_SKIP() << "coturn (turnserver) not installed"; \
    FAIL() << "coturn did not start, log " << (t).log();    \
  }

}  // namespace

TEST(ClientTurn, PreferRelayCarriesDataBothWaysAndDropsUnpermittedPeers) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  inbox in;
  auto o = relay_options(turn, stun.text(), "secret", &in);
  o.prefer_relay = true;
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm) << ec.message();
  test::udp_socket peer;
  test::udp_socket stranger;
  mapping m;
  ASSERT_FALSE(ec = pm->get_mapping(peer.local(), port_type::audio_rtp, m)) << ec.message();
  EXPECT_TRUE(m.relayed());
  EXPECT_EQ(m.origin, mapping_origin::turn);
  EXPECT_EQ(m.server, turn.addr);
  EXPECT_EQ(m.external.ip_string(), "127.0.0.1");
  EXPECT_NE(m.external.port, turn.port);
  EXPECT_NE(m.external, m.internal);

  // Peer -> relayed address -> the library unwraps -> on_datagram, from the peer.
  peer.send_to(bytes("hello-from-peer"), m.external);
  ASSERT_TRUE(in.wait_for("hello-from-peer"));
  EXPECT_EQ(*in.from_of("hello-from-peer"), peer.local());
  // No permission for the stranger's IP? It is 127.0.0.1 too, so coturn
  // relays it (permissions are per IP, RFC 8656 §9) -- the stranger test is
  // the one below with another loopback address.
  // The library wraps send(): the peer sees it from the relayed address.
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(pm->send(m.internal, peer.local(), bytes("pkt" + std::to_string(i))));
    const auto d = peer.receive(2000ms);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->from, m.external);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size()), "pkt" + std::to_string(i));
    std::this_thread::sleep_for(20ms);  // the ChannelBind completes meanwhile
  }
  test::udp_socket other_ip("127.0.0.2:0");
  ASSERT_TRUE(other_ip.ok());
  other_ip.send_to(bytes("no-permission"), m.external);
  peer.send_to(bytes("marker"), m.external);
  ASSERT_TRUE(in.wait_for("marker"));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(in.has("no-permission"));
  // UpdateRemoteAddress installs the permission for the new remote.
  mapping updated;
  ASSERT_FALSE(ec = pm->update_remote_address(other_ip.local(), m.internal, m.external, &updated)) << ec.message();
  EXPECT_TRUE(updated.relayed());
  other_ip.send_to(bytes("now-permitted"), m.external);
  EXPECT_TRUE(in.wait_for("now-permitted"));
  EXPECT_FALSE(pm->release_mapping(m.internal, m.external));
}

TEST(ClientTurn, FallsBackToTheRelayWhenStunIsUnreachable) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;  // ICMP port unreachable: no direct mapping
  auto o = relay_options(turn, stun.text(), "secret", nullptr);
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  test::udp_socket peer;
  mapping m;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(ec = pm->get_mapping(peer.local(), port_type::audio_rtp, m)) << ec.message();
  std::printf("relayed GetMapping (cold, STUN unreachable first): %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0).count()));
  EXPECT_TRUE(m.relayed());
  EXPECT_EQ(m.server, turn.addr);
}

TEST(ClientTurn, DirectMappingStaysDirectWhenStunWorks) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  // coturn answers STUN Binding too: a direct mapping, no relay.
  auto o = relay_options(turn, turn.addr.to_string(), "secret", nullptr);
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  mapping m;
  ASSERT_FALSE(ec = pm->get_mapping(ep("127.0.0.1:5000"), port_type::sip, m)) << ec.message();
  EXPECT_FALSE(m.relayed());
  EXPECT_EQ(m.origin, mapping_origin::stun);
}

TEST(ClientTurn, WrongPasswordIsWrongCredentials) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  auto o = relay_options(turn, stun.text(), "not-the-password", nullptr);
  o.prefer_relay = true;
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  mapping m;
  EXPECT_EQ(pm->get_mapping(ep("127.0.0.1:5000"), port_type::audio_rtp, m), errc::wrong_credentials);
  EXPECT_EQ(pm->stats().mappings, 0U);
}

TEST(ClientTurn, QuotaIsReportedAndReleaseFreesTheAllocation) {
  coturn_relay turn({"--user-quota", "1"});
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  auto o = relay_options(turn, stun.text(), "secret", nullptr);
  o.prefer_relay = true;
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  mapping a, b;
  ASSERT_FALSE(ec = pm->get_mapping(ep("127.0.0.1:5000"), port_type::audio_rtp, a)) << ec.message();
  EXPECT_EQ(pm->get_mapping(ep("127.0.0.1:5000"), port_type::video_rtp, b), errc::allocation_quota_reached);
  // ReleaseMapping deletes the allocation (Refresh LIFETIME 0): the quota
  // has room again at once, long before the allocation would expire.
  ASSERT_FALSE(pm->release_mapping(a.internal, a.external));
  bool again = false;
  for (int i = 0; i < 20 && !again; ++i) {
    again = !pm->get_mapping(ep("127.0.0.1:5000"), port_type::video_rtp, b);
    if (!again) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(again);
}

TEST(ClientTurn, CApiRelayedMapping) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  pinhole_errc err = PINHOLE_OK;
  pinhole_options* o = pinhole_options_new();
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(pinhole_options_add_server(o, stun.text().c_str()), PINHOLE_OK);
  const auto uri = "turn:" + turn.addr.to_string();
  EXPECT_EQ(pinhole_options_add_turn_server(o, uri.c_str(), "alice", "secret"), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_add_turn_server(o, nullptr, "alice", "secret"), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_prefer_relay(o, 1), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_turn_lifetime_s(o, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_turn_lifetime_s(o, 300), PINHOLE_OK);
  pinhole_port_manager* pm = pinhole_port_manager_create(o, &err);
  ASSERT_NE(pm, nullptr) << err;
  pinhole_mapping m{};
  ASSERT_EQ(pinhole_get_mapping(pm, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_OK);
  EXPECT_EQ(pinhole_mapping_is_relayed(pm, m.internal_address, m.internal_port), 1);
  EXPECT_EQ(std::string(m.external_address), "127.0.0.1");
  EXPECT_EQ(pinhole_mapping_is_relayed(pm, m.internal_address, static_cast<uint16_t>(m.internal_port + 1)), 0);
  EXPECT_EQ(pinhole_release_mapping(pm, m.internal_address, m.internal_port, m.external_address, m.external_port),
            PINHOLE_OK);
  EXPECT_EQ(pinhole_mapping_is_relayed(pm, m.internal_address, m.internal_port), 0);
  pinhole_port_manager_free(pm);
  // A wrong password is a clear error in C too.
  pinhole_options* bad = pinhole_options_new();
  pinhole_options_add_server(bad, stun.text().c_str());
  pinhole_options_add_turn_server(bad, uri.c_str(), "alice", "wrong");
  pinhole_options_set_prefer_relay(bad, 1);
  pm = pinhole_port_manager_create(bad, &err);
  ASSERT_NE(pm, nullptr);
  EXPECT_EQ(pinhole_get_mapping(pm, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_E_WRONG_CREDENTIALS);
  pinhole_port_manager_free(pm);
  pinhole_options_free(bad);
  pinhole_options_free(o);
}

// A scripted TURN server on loopback that grants a 2 s lifetime (coturn
// raises any LIFETIME below 600 s to 600): the client must Refresh within it.
TEST(ClientTurn, RefreshIsSentWithinAShortLifetime) {
  test::udp_socket fake;
  test::dead_endpoint stun;
  options o;
  o.servers = {stun.text()};
  o.use_srv = false;
  o.prefer_relay = true;
  o.turn_servers = {turn_server{"turn:" + fake.local().to_string(), "alice", "secret"}};
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  std::atomic<int> refreshes{0};
  std::atomic<bool> stop{false};
  std::thread server([&] {
    while (!stop) {
      const auto d = fake.receive(100ms);
      if (!d) continue;
      stun::message_view m;
      if (stun::message_view::parse(d->bytes, m)) continue;
      const auto method = m.method_bits();
      std::vector<std::byte> buf(256);
      stun::message_writer w(buf);
      w.begin(static_cast<std::uint16_t>(stun::make_type(static_cast<stun::method>(method), stun::msg_class::success)),
              m.transaction_id());
      if (method == static_cast<std::uint16_t>(stun::method::allocate)) {
        w.add_xor_address(stun::attr::xor_relayed_address, client::to_stun(ep("127.0.0.1:40000")));
      }
      if (method == static_cast<std::uint16_t>(stun::method::refresh)) ++refreshes;
      if (method <= static_cast<std::uint16_t>(stun::method::refresh)) w.add_u32(stun::attr::lifetime, 2);
      fake.send_to(w.bytes(), d->from);
    }
  });
  mapping m;
  ec = pm->get_mapping(ep("127.0.0.1:5000"), port_type::audio_rtp, m);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(m.external, ep("127.0.0.1:40000"));
  for (int i = 0; i < 40 && refreshes < 2; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_GE(refreshes.load(), 2);  // at 1 s and 2 s: half the granted lifetime each
  pm.reset();  // destruction deallocates: one more Refresh (LIFETIME 0)
  std::this_thread::sleep_for(200ms);
  stop = true;
  server.join();
}
