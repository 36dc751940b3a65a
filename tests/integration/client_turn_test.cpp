// libpinhole's TURN client (RFC 8656) against coturn on loopback with
// long-term credentials: relayed GetMapping, data both ways through the
// relay (Send/Data indications, then ChannelData), permissions, Refresh,
// deallocation, and the allocation errors.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "address_conv.hpp"
#include "client_support.hpp"
#include "pinhole/errors.hpp"
#include "pinhole/pinhole.h"
#include "pinhole/port_manager.hpp"
#include "stun/channel_data.hpp"
#include "stun/integrity.hpp"
#include "stun/turn.hpp"

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
    std::vector<std::string> argv{path,
                                  "-n",
                                  "--listening-ip",
                                  "127.0.0.1",
                                  "--relay-ip",
                                  "127.0.0.1",
                                  "--listening-port",
                                  std::to_string(port),
                                  "--lt-cred-mech",
                                  "--user",
                                  "alice:secret",
                                  "--realm",
                                  "pinhole.test",
                                  "--allow-loopback-peers",
                                  "--no-cli",
                                  "--no-tls",
                                  "--no-dtls",
                                  "--no-tcp",
                                  "--log-file",
                                  "stdout",
                                  "--verbose"};
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
    return cv.wait_for(
        lk, t, [&] { return std::any_of(got.begin(), got.end(), [&](const auto& g) { return g.second == text; }); });
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
  if (in != nullptr)
    o.on_datagram = [in](const mapping&, const ip_endpoint& from, std::span<const std::byte> d) { in->add(from, d); };
  return o;
}

#define REQUIRE_COTURN(t)                                                                     \
  if (!(t).ready) {                                                                           \
    if (test::turnserver_path().empty()) GTEST_SKIP() << "coturn (turnserver) not installed"; \
    FAIL() << "coturn did not start, log " << (t).log();                                      \
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
  std::printf(
      "relayed GetMapping (cold, STUN unreachable first): %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()));
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
  pinhole_options* o = test::loopback_c_options();
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
  pinhole_options* bad = test::loopback_c_options();
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
  pm.reset();                      // destruction deallocates: one more Refresh (LIFETIME 0)
  std::this_thread::sleep_for(200ms);
  stop = true;
  server.join();
}

namespace {

// The application-owned model: the test reads its socket itself and hands
// every datagram to handle_datagram (the unwrapping overload, or the C one).
struct app_reader {
  test::udp_socket sock;
  std::atomic<bool> stop{false};
  inbox relayed;  // unwrapped, with from = the peer
  inbox direct;   // datagram_kind::application
  std::atomic<int> library{0};
  std::atomic<int> channel_data{0};     // relayed, arrived as ChannelData (first byte 64..79)
  std::atomic<int> data_indication{0};  // relayed, arrived as a Data indication (STUN)
  std::thread t;
  void start(port_manager& pm) {
    t = std::thread([this, &pm] {
      std::vector<std::byte> buf(65536);
      const auto local = sock.local();
      while (!stop) {
        pollfd p{sock.fd(), POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        const auto r = client::receive_udp(sock.fd(), buf);
        if (r.kind != client::received::datagram) continue;
        const auto d = std::span<const std::byte>(buf).first(r.size);
        relayed_datagram out;
        switch (pm.handle_datagram(local, r.peer, d, out)) {
          case datagram_kind::library: ++library; break;
          case datagram_kind::application: direct.add(r.peer, d); break;
          case datagram_kind::relayed: {
            const auto first = std::to_integer<unsigned>(d[0]);
            ++(first >= 64 && first <= 79 ? channel_data : data_indication);
            EXPECT_TRUE(out.payload.data() >= d.data() &&
                        out.payload.data() + out.payload.size() <= d.data() + d.size());
            relayed.add(out.peer, out.payload);
            break;
          }
        }
      }
    });
  }
  ~app_reader() {
    stop = true;
    if (t.joinable()) t.join();
  }
};

}  // namespace

// Issue 15 point 2: a relay for an application-owned socket. Its receive
// loop hands in the TURN server's answers (Allocate, CreatePermission,
// ChannelBind, Refresh) and the relayed data, which handle_datagram unwraps:
// Data indications first, ChannelData once the channel is bound. send()
// wraps. detach_socket deallocates and leaves the descriptor open.
TEST(ClientTurn, AttachedSocketIsRelayedAndUnwrappedByHandleDatagram) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  auto o = relay_options(turn, stun.text(), "secret", nullptr);
  o.relay_attached_sockets = true;  // STUN unreachable: the fallback, as for GetMapping
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm) << ec.message();
  app_reader app;
  ASSERT_TRUE(app.sock.ok());
  app.start(*pm);  // the loop runs first: the answers come through it
  test::udp_socket peer;
  mapping m;
  // Towards the peer's IP only: a permission, no channel yet.
  ASSERT_FALSE(ec = pm->attach_socket(app.sock.fd(), port_type::audio_rtp, ep("127.0.0.1:0"), m)) << ec.message();
  EXPECT_TRUE(m.relayed());
  EXPECT_EQ(m.native_handle, app.sock.fd());
  EXPECT_EQ(m.external.ip_string(), "127.0.0.1");
  EXPECT_TRUE(pm->is_relayed(m.internal));
  EXPECT_EQ(pm->stats().attached, 1U);
  EXPECT_GE(app.library.load(), 2);  // at least the 401 and the Allocate success

  // Peer -> relay -> the application's socket -> handle_datagram unwraps
  // (a Data indication: no channel).
  peer.send_to(bytes("first-from-peer"), m.external);
  ASSERT_TRUE(app.relayed.wait_for("first-from-peer"));
  EXPECT_EQ(*app.relayed.from_of("first-from-peer"), peer.local());
  EXPECT_EQ(app.data_indication.load(), 1);
  // UpdateRemoteAddress with the port: ChannelBind, then ChannelData both
  // ways. send() wraps (Send indication until the channel is bound).
  mapping updated;
  ASSERT_FALSE(ec = pm->update_remote_address(peer.local(), m.internal, m.external, &updated)) << ec.message();
  EXPECT_TRUE(updated.relayed());
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(pm->send(m.internal, peer.local(), bytes("out" + std::to_string(i))));
    const auto d = peer.receive(2000ms);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->from, m.external);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size()), "out" + std::to_string(i));
    peer.send_to(bytes("in" + std::to_string(i)), m.external);
    std::this_thread::sleep_for(20ms);  // the ChannelBind completes meanwhile
  }
  ASSERT_TRUE(app.relayed.wait_for("in19"));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(app.relayed.has("in" + std::to_string(i))) << i;
  EXPECT_GE(app.channel_data.load(), 10);  // once the channel was bound
  // Another IP without a permission: coturn drops it, nothing arrives.
  test::udp_socket other_ip("127.0.0.2:0");
  ASSERT_TRUE(other_ip.ok());
  other_ip.send_to(bytes("no-permission"), m.external);
  peer.send_to(bytes("marker"), m.external);
  ASSERT_TRUE(app.relayed.wait_for("marker"));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(app.relayed.has("no-permission"));
  EXPECT_FALSE(app.direct.has("no-permission"));
  // Nothing of the TURN server's reached the application as it was read.
  {
    std::lock_guard lk(app.direct.m);
    for (const auto& g : app.direct.got) EXPECT_NE(g.first, turn.addr) << g.second.size() << " bytes";
  }
  // Direct traffic on the socket (not from the TURN server) stays the application's.
  peer.send_to(bytes("\x01direct"), app.sock.local());
  EXPECT_TRUE(app.direct.wait_for("\x01direct"));

  ASSERT_FALSE(pm->detach_socket(m.internal));
  EXPECT_FALSE(pm->is_relayed(m.internal));
  EXPECT_GE(::fcntl(app.sock.fd(), F_GETFD), 0);  // the descriptor stays the application's
  // The allocation is deleted (Refresh LIFETIME 0), visible in coturn's log.
  bool deleted = false;
  for (int i = 0; i < 30 && !deleted; ++i) {
    deleted = turn.log_text().find("lifetime=0") != std::string::npos;
    if (!deleted) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(deleted) << "no Refresh with lifetime 0 in " << turn.log();
}

// The same in C: pinhole_options_set_relay_attached_sockets and
// pinhole_handle_datagram_relayed (offset and length into the caller's buffer).
TEST(ClientTurn, CApiAttachedRelayUnwraps) {
  coturn_relay turn;
  REQUIRE_COTURN(turn);
  test::dead_endpoint stun;
  pinhole_options* o = test::loopback_c_options();
  ASSERT_NE(o, nullptr);
  pinhole_options_add_server(o, stun.text().c_str());
  const auto uri = "turn:" + turn.addr.to_string();
  ASSERT_EQ(pinhole_options_add_turn_server(o, uri.c_str(), "alice", "secret"), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_prefer_relay(o, 1), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_relay_attached_sockets(o, 1), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_relay_attached_sockets(nullptr, 1), PINHOLE_E_INVALID_ARGUMENT);
  pinhole_errc err = PINHOLE_OK;
  pinhole_port_manager* pm = pinhole_port_manager_create(o, &err);
  pinhole_options_free(o);
  ASSERT_NE(pm, nullptr) << err;
  test::udp_socket app;
  test::udp_socket peer;
  std::atomic<bool> stop{false};
  inbox got;
  std::atomic<int> wrong_peer{0};
  std::thread reader([&] {
    std::vector<std::byte> buf(65536);
    sockaddr_storage local{};
    client::to_sockaddr(app.local(), local);
    while (!stop) {
      pollfd p{app.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      const auto n = ::recvfrom(app.fd(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      sockaddr_storage peer_addr{};
      size_t off = 0, plen = 0;
      const int kind = pinhole_handle_datagram_relayed(pm, reinterpret_cast<const sockaddr*>(&local),
                                                       reinterpret_cast<const sockaddr*>(&from), buf.data(),
                                                       static_cast<size_t>(n), &peer_addr, &off, &plen);
      if (kind != 2) continue;
      ip_endpoint pe;
      if (!client::from_sockaddr(peer_addr, pe) || pe != peer.local()) ++wrong_peer;
      EXPECT_LE(off + plen, static_cast<size_t>(n));
      got.add(pe, std::span<const std::byte>(buf).subspan(off, plen));
    }
  });
  const auto remote = peer.local().ip_string();
  pinhole_mapping m{};
  ASSERT_EQ(pinhole_attach_socket(pm, app.fd(), PINHOLE_PORT_AUDIO_RTP, remote.c_str(), &m), PINHOLE_OK);
  EXPECT_EQ(pinhole_mapping_is_relayed(pm, m.internal_address, m.internal_port), 1);
  const auto relayed = ep(std::string(m.external_address) + ":" + std::to_string(m.external_port));
  // A permission for the peer's IP came with the attach (remote, port 0):
  // its data arrives in Data indications.
  peer.send_to(bytes("c-hello"), relayed);
  EXPECT_TRUE(got.wait_for("c-hello"));
  const std::string text = "c-out";
  EXPECT_EQ(
      pinhole_send(pm, m.internal_address, m.internal_port, "127.0.0.1", peer.local().port, text.data(), text.size()),
      PINHOLE_OK);
  const auto d = peer.receive(2000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from, relayed);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(d->bytes.data()), d->bytes.size()), text);
  EXPECT_EQ(wrong_peer.load(), 0);
  // Null outputs are refused, not written.
  const char junk[4] = {0x40, 0, 0, 0};
  sockaddr_storage l{}, f{};
  client::to_sockaddr(app.local(), l);
  client::to_sockaddr(turn.addr, f);
  EXPECT_EQ(
      pinhole_handle_datagram_relayed(pm, reinterpret_cast<const sockaddr*>(&l), reinterpret_cast<const sockaddr*>(&f),
                                      junk, sizeof junk, nullptr, nullptr, nullptr),
      0);
  EXPECT_EQ(pinhole_detach_socket(pm, m.internal_address, m.internal_port), PINHOLE_OK);
  stop = true;
  reader.join();
  pinhole_port_manager_free(pm);
}

namespace {

// A scripted TURN server on loopback for the hostile cases: it challenges
// the first request (401, realm "r", nonce "n") and answers the rest
// signed with alice/secret's long-term key -- or not, as `mode` says.
class scripted_turn {
 public:
  enum class mode { good, wrong_family, unsigned_success, wrong_key };
  explicit scripted_turn(mode m) : mode_(m), t_([this] { run(); }) {}
  ~scripted_turn() {
    stop_ = true;
    t_.join();
  }
  scripted_turn(const scripted_turn&) = delete;
  scripted_turn& operator=(const scripted_turn&) = delete;
  ip_endpoint address() const { return sock_.local(); }
  int allocates() const { return allocates_; }
  std::optional<ip_endpoint> client() {
    std::lock_guard lk(m_);
    return client_;
  }
  void send(std::span<const std::byte> d) {
    if (const auto c = client()) sock_.send_to(d, *c);
  }

 private:
  void run() {
    const auto key = stun::long_term_key("alice", "r", "secret");
    const auto wrong = stun::long_term_key("alice", "r", "guess");
    while (!stop_) {
      const auto d = sock_.receive(50ms);
      if (!d) continue;
      stun::message_view req;
      if (stun::message_view::parse(d->bytes, req) || req.cls() != stun::msg_class::request) continue;
      {
        std::lock_guard lk(m_);
        client_ = d->from;
      }
      const auto method = static_cast<stun::method>(req.method_bits());
      std::vector<std::byte> buf(512);
      stun::message_writer w(buf);
      if (!req.find(stun::attr::message_integrity)) {
        w.begin(static_cast<std::uint16_t>(stun::make_type(method, stun::msg_class::error)), req.transaction_id());
        w.add_error_code(401, "Unauthorized");
        w.add_text(stun::attr::realm, "r");
        w.add_text(stun::attr::nonce, "n");
        sock_.send_to(w.bytes(), d->from);
        continue;
      }
      w.begin(static_cast<std::uint16_t>(stun::make_type(method, stun::msg_class::success)), req.transaction_id());
      if (method == stun::method::allocate) {
        ++allocates_;
        const auto relayed = mode_ == mode::wrong_family ? ep("[2001:db8::9]:40000") : ep("127.0.0.1:40000");
        w.add_xor_address(stun::attr::xor_relayed_address, client::to_stun(relayed));
        w.add_u32(stun::attr::lifetime, 600);
      }
      if (method == stun::method::refresh) w.add_u32(stun::attr::lifetime, 600);
      if (mode_ != mode::unsigned_success) w.add_message_integrity(mode_ == mode::wrong_key ? wrong : key);
      sock_.send_to(w.bytes(), d->from);
    }
  }
  test::udp_socket sock_;
  mode mode_;
  std::atomic<bool> stop_{false};
  std::atomic<int> allocates_{0};
  std::mutex m_;
  std::optional<ip_endpoint> client_;
  std::thread t_;
};

std::vector<std::byte> channel_data_bytes(std::uint16_t ch, const std::string& text) {
  std::vector<std::byte> out(stun::channel_data_size(text.size()));
  out.resize(stun::encode_channel_data(ch, bytes(text), out));
  return out;
}

std::vector<std::byte> data_indication_bytes(const ip_endpoint& peer, const std::string& text) {
  std::vector<std::byte> buf(512);
  stun::message_writer w(buf);
  std::array<std::byte, 12> id{};
  w.begin(stun::data_indication, std::span<const std::byte, 12>(id));
  w.add_xor_address(stun::attr::xor_peer_address, client::to_stun(peer));
  stun::add_data(w, bytes(text));
  return {w.bytes().begin(), w.bytes().end()};
}

}  // namespace

// Issue 15 point 4, against the whole client over real sockets: a relayed
// address of the wrong family, a success without MESSAGE-INTEGRITY or with
// a wrong one never become a mapping; ChannelData longer than its datagram,
// on an unbound channel, Data indications from peers without a permission
// and junk from the server are never delivered, and nothing crashes.
TEST(ClientTurn, HostileServersGiveNoMappingAndNoForgedDatagram) {
  test::dead_endpoint stun;
  for (const auto m :
       {scripted_turn::mode::wrong_family, scripted_turn::mode::unsigned_success, scripted_turn::mode::wrong_key}) {
    scripted_turn srv(m);
    options o;
    o.servers = {stun.text()};
    o.use_srv = false;
    o.prefer_relay = true;
    o.call_timeout = 800ms;
    o.turn_servers = {turn_server{"turn:" + srv.address().to_string(), "alice", "secret"}};
    std::error_code ec;
    auto pm = port_manager::create(o, ec);
    ASSERT_TRUE(pm);
    mapping out;
    ec = pm->get_mapping(ep("127.0.0.1:5004"), port_type::audio_rtp, out);
    EXPECT_TRUE(ec) << static_cast<int>(m);
    EXPECT_FALSE(out.relayed());
    EXPECT_EQ(pm->stats().mappings, 0U);
    EXPECT_GE(srv.allocates(), 1) << "the signed Allocate was answered";
  }

  scripted_turn srv(scripted_turn::mode::good);
  inbox in;
  options o;
  o.servers = {stun.text()};
  o.use_srv = false;
  o.prefer_relay = true;
  o.turn_servers = {turn_server{"turn:" + srv.address().to_string(), "alice", "secret"}};
  o.on_datagram = [&in](const mapping&, const ip_endpoint& from, std::span<const std::byte> d) { in.add(from, d); };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  const auto peer = ep("127.0.0.1:5004");
  mapping m;
  ASSERT_FALSE(ec = pm->get_mapping(peer, port_type::audio_rtp, m)) << ec.message();
  EXPECT_EQ(m.external, ep("127.0.0.1:40000"));
  std::this_thread::sleep_for(200ms);  // ChannelBind 0x4000 for the peer answered
  auto longer = channel_data_bytes(0x4000, "past-the-end");
  stun::store_u16(longer.data() + 2, 400);  // claims 400 bytes in a 16-byte datagram
  srv.send(longer);
  srv.send(channel_data_bytes(0x4001, "unbound-channel"));
  srv.send(data_indication_bytes(ep("198.51.100.66:5004"), "no-permission"));
  const std::array<std::byte, 3> junk{std::byte{0x40}, std::byte{0x00}, std::byte{0xFF}};
  srv.send(junk);
  auto cut = data_indication_bytes(peer, "cut-short");
  cut.resize(cut.size() - 6);
  srv.send(cut);
  // What a server may send is delivered, from the peer.
  srv.send(data_indication_bytes(peer, "legit-data-indication"));
  srv.send(channel_data_bytes(0x4000, "legit-channel-data"));
  ASSERT_TRUE(in.wait_for("legit-data-indication"));
  ASSERT_TRUE(in.wait_for("legit-channel-data"));
  EXPECT_EQ(*in.from_of("legit-channel-data"), peer);
  std::this_thread::sleep_for(100ms);
  std::lock_guard lk(in.m);
  EXPECT_EQ(in.got.size(), 2U);
  for (const auto& g : in.got) EXPECT_EQ(g.first, peer) << g.second;
}
