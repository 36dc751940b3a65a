// worker: one thread's sockets, drained and answered; driven by hand
// (drain) and with its own thread (start/stop, heartbeats, live removal).
#include "worker.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "stun/attributes.hpp"
#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "udp_peer.hpp"
#include "udp_socket.hpp"

namespace pd = pinhole::daemon;
using pinhole::stun::transport_address;
using pinhole::test::udp_peer;
using namespace std::chrono_literals;

namespace {

std::vector<std::byte> binding(std::uint8_t tag) {
  std::array<std::byte, 12> id{};
  id[0] = std::byte{tag};
  std::vector<std::byte> buf(64);
  pinhole::stun::message_writer w(buf);
  w.begin(pinhole::stun::binding_request, id);
  buf.resize(w.size());
  return buf;
}

struct fixture {
  pd::state_ref state;
  pd::counter_block counters;
  pd::listener where;
  int fd = -1;

  explicit fixture(const pd::config& cfg = pd::default_config()) {
    state.store(pd::make_runtime_state(cfg, {}));
    if (pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, fd, where.bound)) {
      throw std::runtime_error("open_udp_socket");
    }
    where.name = where.bound.to_string();
  }
  std::uint64_t get(pd::counter c) const { return counters.get(c); }
};

// Drains socket i of `w` until `n` datagrams were read (the sender is local).
std::size_t drain_n(pd::worker& w, std::size_t i, std::size_t n) {
  std::size_t read = 0;
  for (int k = 0; k < 200 && read < n; ++k) {
    read += w.drain(i);
    if (read < n) std::this_thread::sleep_for(1ms);
  }
  return read;
}

// The XOR-MAPPED-ADDRESS of a success response (family included).
transport_address xor_mapped(const std::vector<std::byte>& bytes) {
  pinhole::stun::message_view m;
  EXPECT_FALSE(pinhole::stun::message_view::parse(bytes, m));
  EXPECT_EQ(m.type(), pinhole::stun::binding_success);
  transport_address a;
  const auto raw = m.find(pinhole::stun::attr::xor_mapped_address);
  EXPECT_TRUE(raw);
  if (raw) {
    EXPECT_FALSE(pinhole::stun::decode_xor_address(*raw, m.cookie_and_id(), a));
  }
  return a;
}

// Every datagram ends in exactly one result counter (what requests_total
// partitions received into).
std::uint64_t results(const pd::counter_block& c) {
  std::uint64_t sum = 0;
  for (auto k : {pd::counter::answered, pd::counter::error_400, pd::counter::error_401, pd::counter::error_420,
                 pd::counter::error_other, pd::counter::dropped_malformed, pd::counter::dropped_indication,
                 pd::counter::dropped_response, pd::counter::dropped_rate_limited, pd::counter::dropped_global_limit,
                 pd::counter::dropped_acl, pd::counter::send_failed}) {
    sum += c.get(k);
  }
  return sum;
}

bool eventually(const std::function<bool()>& ok) {
  for (int i = 0; i < 500; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ok();
}

}  // namespace

TEST(Worker, DrainAnswersWhatIsQueuedAndCountsEveryDatagram) {
  fixture f;
  pd::worker w(0, f.state, 4);  // batch 4: 6 datagrams take two recvmmsg rounds
  w.add_socket(f.fd, f.where, f.counters);
  EXPECT_EQ(w.sockets(), 1U);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 5; ++i) client.send_to(binding(i), f.where.bound);
  const std::vector<std::byte> junk(7, std::byte{0xFF});
  client.send_to(junk, f.where.bound);

  std::size_t read = 0;
  for (int i = 0; i < 200 && read < 6; ++i) {
    read += w.drain(0);
    if (read < 6) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read, 6U);
  for (std::uint8_t i = 0; i < 5; ++i) {
    const auto r = client.receive();
    ASSERT_TRUE(r) << int{i};
    pinhole::stun::message_view m;
    ASSERT_FALSE(pinhole::stun::message_view::parse(r->bytes, m));
    EXPECT_EQ(m.type(), pinhole::stun::binding_success);
  }
  EXPECT_EQ(f.get(pd::counter::received), 6U);
  EXPECT_EQ(f.get(pd::counter::answered), 5U);
  EXPECT_EQ(f.get(pd::counter::dropped_malformed), 1U);
  EXPECT_EQ(w.drain(0), 0U);  // nothing left
}

TEST(Worker, ThreadServesHeartbeatsAndLetsASocketGo) {
  fixture f;
  pd::worker w(0, f.state, 8);
  w.add_socket(f.fd, f.where, f.counters);
  w.start();
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding(1), f.where.bound);
  ASSERT_TRUE(client.receive());
  EXPECT_GE(w.wakeups(), 1U);
  EXPECT_EQ(w.polls(), 0U);  // coalescing is off by default

  const auto beats = w.beats();
  w.heartbeat();
  EXPECT_TRUE(eventually([&] { return w.beats() == beats + 1; }));

  w.remove_socket(f.where);  // while running: on the worker's thread
  EXPECT_EQ(w.sockets(), 0U);
  client.send_to(binding(2), f.where.bound);
  EXPECT_FALSE(client.receive(200ms));  // closed: nobody answers
  w.stop();
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
}

TEST(Worker, CoalescingReadsOnItsTimerUnderLoad) {
  pd::config cfg = pd::default_config();
  cfg.coalesce_us = 10000;
  fixture f(cfg);
  pd::worker w(0, f.state, 32);
  w.add_socket(f.fd, f.where, f.counters);
  w.start();
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 40; ++i) client.send_to(binding(i), f.where.bound);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client.receive()) << i;
  EXPECT_TRUE(eventually([&] { return w.polls() >= 1; }));
  EXPECT_LT(w.wakeups(), 40U);
  w.stop();
}

// An answer the kernel refuses to send (here: the socket was shut down for
// writing, so sendmmsg fails with EPIPE) is counted once, as send_failed,
// not also as answered, and adds no sent bytes.
TEST(Worker, AFailedSendIsCountedOnceAsSendFailed) {
  fixture f;
  pd::worker w(0, f.state, 8);
  const int fd = f.fd;
  w.add_socket(f.fd, f.where, f.counters);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding(1), f.where.bound);
  ASSERT_EQ(drain_n(w, 0, 1), 1U);
  ASSERT_TRUE(client.receive());
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
  const auto bytes_one = f.get(pd::counter::bytes_out);
  EXPECT_GT(bytes_one, 0U);

  (void)::shutdown(fd, SHUT_WR);  // ENOTCONN for UDP, but later sends fail
  client.send_to(binding(2), f.where.bound);
  // An unknown comprehension-required attribute: a 420 that fails to leave too.
  std::vector<std::byte> bad(64);
  {
    pinhole::stun::message_writer mw(bad);
    std::array<std::byte, 12> id{};
    id[0] = std::byte{3};
    mw.begin(pinhole::stun::binding_request, id);
    mw.add_text(0x7F01, "x");
    bad.resize(mw.size());
  }
  client.send_to(bad, f.where.bound);
  ASSERT_EQ(drain_n(w, 0, 2), 2U);
  EXPECT_FALSE(client.receive(100ms));
  EXPECT_EQ(f.get(pd::counter::received), 3U);
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
  EXPECT_EQ(f.get(pd::counter::error_420), 0U);
  EXPECT_EQ(f.get(pd::counter::send_failed), 2U);
  EXPECT_EQ(f.get(pd::counter::bytes_out), bytes_one);
  EXPECT_EQ(results(f.counters), f.get(pd::counter::received));
}

// The same for an RFC 5780 CHANGE-REQUEST answer, which leaves from another
// role's socket (sendto on that socket fails).
TEST(Worker, AFailedChangeRequestSendIsCountedOnce) {
  pd::config cfg = pd::default_config();
  cfg.rfc5780.enabled = true;
  cfg.rfc5780.primary_ip = "127.0.0.1";
  cfg.rfc5780.alternate_ip = "127.0.0.2";
  std::vector<pd::listener> ls(4);
  std::array<int, 4> fds{};
  for (std::size_t r = 0; r < 4; ++r) {
    ls[r].role = static_cast<pd::socket_role>(r);
    ASSERT_FALSE(pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, fds[r], ls[r].bound));
    ls[r].name = ls[r].bound.to_string();
  }
  pd::state_ref state;
  state.store(pd::make_runtime_state(cfg, ls));
  ASSERT_TRUE(state.load()->handler.rfc5780);
  std::array<pd::counter_block, 4> counters;
  pd::worker w(0, state, 8);
  for (std::size_t r = 0; r < 4; ++r) w.add_socket(fds[r], ls[r], counters[r]);
  (void)::shutdown(fds[1], SHUT_WR);  // PA cannot send

  std::vector<std::byte> req(64);
  pinhole::stun::message_writer mw(req);
  std::array<std::byte, 12> id{};
  mw.begin(pinhole::stun::binding_request, id);
  mw.add_change_request(false, true);  // PP -> answer from PA
  req.resize(mw.size());
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(req, ls[0].bound);
  ASSERT_EQ(drain_n(w, 0, 1), 1U);
  EXPECT_FALSE(client.receive(100ms));
  EXPECT_EQ(counters[0].get(pd::counter::received), 1U);
  EXPECT_EQ(counters[0].get(pd::counter::answered), 0U);
  EXPECT_EQ(counters[0].get(pd::counter::send_failed), 1U);
  EXPECT_EQ(counters[0].get(pd::counter::bytes_out), 0U);
  EXPECT_EQ(results(counters[0]), 1U);
}

// A dual-stack IPv6 socket (IPV6_V6ONLY off, as systemd hands over [::]:P
// with bindv6only=0) sees IPv4 clients as ::ffff:a.b.c.d. Their
// XOR-MAPPED-ADDRESS must be IPv4 (family 0x01) with the client's address,
// and the reply must still leave the v6 socket from the address the request
// reached.
TEST(Worker, DualStackSocketAnswersIpv4ClientsAsIpv4) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  const int off = 0;
  ASSERT_EQ(::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off), 0);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  pd::listener where;
  ASSERT_FALSE(pd::adopt_udp_socket(fd, where.bound));
  where.name = where.bound.to_string();
  pd::config cfg = pd::default_config();
  cfg.allow = {"127.0.0.0/8", "::1/128"};  // the ACL sees the IPv4 address too
  pd::state_ref state;
  state.store(pd::make_runtime_state(cfg, {}));
  pd::counter_block counters;
  pd::worker w(0, state, 8);
  w.add_socket(fd, where, counters);

  udp_peer v4(*transport_address::parse("127.0.0.1:0"));
  v4.send_to(binding(1), *transport_address::parse("127.0.0.1:" + std::to_string(where.bound.port)));
  ASSERT_EQ(drain_n(w, 0, 1), 1U);
  const auto r4 = v4.receive();
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->from.to_string(), "127.0.0.1:" + std::to_string(where.bound.port));
  const auto a4 = xor_mapped(r4->bytes);
  EXPECT_EQ(a4.fam, pinhole::stun::family::ipv4);
  EXPECT_EQ(a4, v4.local());

  udp_peer v6(*transport_address::parse("[::1]:0"));
  v6.send_to(binding(2), *transport_address::parse("[::1]:" + std::to_string(where.bound.port)));
  ASSERT_EQ(drain_n(w, 0, 1), 1U);
  const auto r6 = v6.receive();
  ASSERT_TRUE(r6);
  const auto a6 = xor_mapped(r6->bytes);
  EXPECT_EQ(a6.fam, pinhole::stun::family::ipv6);
  EXPECT_EQ(a6, v6.local());
  EXPECT_EQ(counters.get(pd::counter::answered), 2U);
  EXPECT_EQ(counters.get(pd::counter::dropped_acl), 0U);
}

TEST(Worker, DrainModeDropsAndCountsEveryDatagram) {
  fixture f;
  pd::worker w(0, f.state, 8);
  w.add_socket(f.fd, f.where, f.counters);
  f.state.store(pd::make_runtime_state(pd::default_config(), {}, nullptr, /*drop_all=*/true));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 3; ++i) client.send_to(binding(i), f.where.bound);
  std::size_t read = 0;
  for (int i = 0; i < 200 && read < 3; ++i) {
    read += w.drain(0);
    if (read < 3) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read, 3U);
  EXPECT_FALSE(client.receive(200ms));  // none answered
  EXPECT_EQ(f.get(pd::counter::received), 3U);
  EXPECT_EQ(f.get(pd::counter::dropped_draining), 3U);
  EXPECT_EQ(f.get(pd::counter::answered), 0U);

  f.state.store(pd::make_runtime_state(pd::default_config(), {}));  // drain ended
  client.send_to(binding(9), f.where.bound);
  read = 0;
  for (int i = 0; i < 200 && read < 1; ++i) {
    read += w.drain(0);
    if (read < 1) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(client.receive());
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
}
