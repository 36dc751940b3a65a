// The two socket models of libpinhole over real loopback sockets: the
// library-owned socket (the library reads, the application answers from the
// datagram callback) and the application-owned socket (attach_socket: the
// stack keeps its socket and receive loop and hands STUN to
// handle_datagram), plus adopt_socket's ownership transfer.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <thread>

#include "client_support.hpp"
#include "pinhole/port_manager.hpp"
#include "stun_demux.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;
using fake = test::fake_stun_server;
using clk = std::chrono::steady_clock;

namespace {

const ip_endpoint remote_v4 = ep("127.0.0.1:5004");

options opts_for(const ip_endpoint& server) {
  options o;
  o.servers = {server.to_string()};
  o.call_timeout = 3000ms;  // sanitizers on a loaded CI machine
  o.port_mapping.clear();   // loopback only: no PCP, NAT-PMP or SSDP to the host's default gateway
  return o;
}

// A bound loopback UDP socket the test owns as a plain descriptor (blocking,
// no IP_RECVERR: what a stack's own socket looks like).
int app_socket() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  return fd;
}

bool port_is_free(const ip_endpoint& e) { return test::udp_socket(e.to_string()).ok(); }

// The peer side of an echo test: sends `count` numbered packets at about
// 1,000 packets/s to `to` and counts the echoes that come back (by number,
// so duplicates do not count twice).
struct echo_result {
  int sent = 0;
  int echoed = 0;
  int foreign = 0;  // anything that is not one of our packets (e.g. STUN leaking through)
};
echo_result echo_peer(const ip_endpoint& to, int count) {
  test::udp_socket peer;
  echo_result r;
  std::vector<bool> seen(static_cast<std::size_t>(count));
  std::atomic<bool> done{false};
  std::atomic<clk::rep> done_at{0};
  std::thread rx([&] {
    const auto end = clk::now() + 5s;
    while (clk::now() < end && r.echoed < count) {
      // Stop 500 ms after the last send; everything echoed is back by then.
      if (done && clk::now() > clk::time_point(clk::duration(done_at.load())) + 500ms) break;
      const auto got = peer.receive(50ms);
      if (!got) continue;
      if (got->bytes.size() != 8 || std::to_integer<unsigned>(got->bytes[0]) != 0x80) {
        ++r.foreign;
        continue;
      }
      std::uint32_t n = 0;
      std::memcpy(&n, got->bytes.data() + 4, 4);
      if (n < seen.size() && !seen[n]) {
        seen[n] = true;
        ++r.echoed;
      }
    }
  });
  for (int i = 0; i < count; ++i) {
    std::array<std::byte, 8> pkt{};
    pkt[0] = std::byte{0x80};  // RTP version 2: first byte 128..191 (RFC 7983)
    pkt[1] = std::byte{0x60};
    const auto n = static_cast<std::uint32_t>(i);
    std::memcpy(pkt.data() + 4, &n, 4);
    peer.send_to(pkt, to);
    ++r.sent;
    std::this_thread::sleep_for(1ms);  // ~1,000 packets/s
  }
  done_at = clk::now().time_since_epoch().count();
  done = true;
  rx.join();
  return r;
}

}  // namespace

// ---- library-owned ----------------------------------------------------------

TEST(LibraryOwnedSocket, EchoFromTheDatagramCallbackLosesNothing) {
  fake srv;
  port_manager* self = nullptr;
  std::atomic<int> refused{0};
  auto o = opts_for(srv.address());
  o.keepalive_interval = 20ms;  // keep-alive answers interleave with the media
  o.on_datagram = [&](const mapping& m, const ip_endpoint& from, std::span<const std::byte> d) {
    // A stack answering inside the callback (a 200 OK, an RTP echo).
    if (self->send(m.internal, from, d)) ++refused;
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm) << ec.message();
  self = pm.get();
  mapping m;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::audio_rtp, m));
  const auto r = echo_peer(m.external, 100);
  std::printf("[measure] library-owned echo at 1,000 packets/s: %d of %d lost\n", r.sent - r.echoed, r.sent);
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(r.echoed, 100);
  EXPECT_EQ(r.foreign, 0);
  EXPECT_GE(pm->stats().keepalives, 2U);  // the library kept reading its own answers meanwhile
}

TEST(LibraryOwnedSocket, CallsThatCompleteAtOnceWorkFromTheCallbacks) {
  fake srv;
  port_manager* self = nullptr;
  std::promise<std::error_code> released;
  auto o = opts_for(srv.address());
  o.on_datagram = [&](const mapping& m, const ip_endpoint&, std::span<const std::byte>) {
    mapping other;
    EXPECT_EQ(self->get_mapping(remote_v4, port_type::sip, other), errc::would_deadlock);  // needs the network
    released.set_value(self->release_mapping(m.internal, m.external));
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  self = pm.get();
  mapping m;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::sip, m));
  test::udp_socket peer;
  peer.send_to(std::array<std::byte, 1>{std::byte{0x80}}, m.external);
  auto f = released.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  EXPECT_FALSE(f.get());
  EXPECT_EQ(pm->stats().mappings, 0U);
  EXPECT_TRUE(port_is_free(m.internal));
}

TEST(LibraryOwnedSocket, AdoptTransfersOwnershipAndTheLibraryReads) {
  fake srv;
  std::atomic<int> seen{0};
  auto o = opts_for(srv.address());
  o.on_datagram = [&](const mapping&, const ip_endpoint&, std::span<const std::byte>) { ++seen; };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  const int fd = app_socket();
  ASSERT_GE(fd, 0);
  const auto local = *client::local_endpoint(fd);
  mapping m;
  ASSERT_FALSE(pm->adopt_socket(fd, port_type::video_rtp, remote_v4, m));
  EXPECT_EQ(m.internal, local);
  EXPECT_EQ(m.native_handle, fd);  // the very descriptor, not a copy
  test::udp_socket peer;
  peer.send_to(std::array<std::byte, 3>{std::byte{0x80}}, m.external);
  for (int i = 0; i < 200 && seen == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(seen.load(), 1);  // the library reads it
  ASSERT_FALSE(pm->release_mapping(m.internal, m.external));
  EXPECT_TRUE(port_is_free(local)) << "ownership was transferred: release closes it";
  // A descriptor that is not a bound UDP socket is refused (and taken).
  const int unbound = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(pm->adopt_socket(unbound, port_type::sip, remote_v4, m), errc::invalid_argument);
  EXPECT_EQ(pm->adopt_socket(-1, port_type::sip, remote_v4, m), errc::invalid_argument);
}

// ---- application-owned ------------------------------------------------------

namespace {

// A stack's own receive loop on its own socket: STUN-looking datagrams go
// to handle_datagram, everything else is echoed back (the stack's media).
class stack_loop {
 public:
  explicit stack_loop(int fd) : fd_(fd) {}
  ~stack_loop() { stop(); }
  void start(port_manager& pm, const ip_endpoint& local) {
    stop();  // a loop started again after stop() must run, not exit at once
    stop_ = false;
    thread_ = std::thread([this, &pm, local] { run(pm, local); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int library_stun() const { return library_stun_; }
  int other_stun() const { return other_stun_; }
  int echoed() const { return echoed_; }

 private:
  void run(port_manager& pm, const ip_endpoint& local) {
    std::array<std::byte, 2048> buf{};
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
      if (n <= 0) continue;
      ip_endpoint from;
      client::from_sockaddr(ss, from);
      const auto data = std::span<const std::byte>(buf).first(static_cast<std::size_t>(n));
      if (client::is_stun_first_byte(data)) {
        if (pm.handle_datagram(local, from, data)) {
          ++library_stun_;
        } else {
          ++other_stun_;
        }
        continue;
      }
      ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
      ++echoed_;
    }
  }
  int fd_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> library_stun_{0}, other_stun_{0}, echoed_{0};
};

}  // namespace

TEST(ApplicationOwnedSocket, EchoWithTheStacksOwnReceiveLoopLosesNothing) {
  fake srv;
  auto o = opts_for(srv.address());
  o.keepalive_interval = 20ms;
  std::atomic<int> library_read{0};
  o.on_datagram = [&](const mapping&, const ip_endpoint&, std::span<const std::byte>) { ++library_read; };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  const int fd = app_socket();
  ASSERT_GE(fd, 0);
  const auto local = *client::local_endpoint(fd);
  stack_loop loop(fd);
  loop.start(*pm, local);  // the receive loop runs before attach_socket
  mapping m;
  ASSERT_FALSE(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, m));
  EXPECT_EQ(m.internal, local);
  EXPECT_EQ(m.external, local);
  EXPECT_EQ(m.native_handle, fd);
  // The first answer came through handle_datagram. attach_socket may return
  // before the loop thread, back from handle_datagram, has counted it.
  for (int i = 0; i < 100 && loop.library_stun() < 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_GE(loop.library_stun(), 1);
  const auto r = echo_peer(m.external, 100);
  std::printf("[measure] application-owned echo at 1,000 packets/s: %d of %d lost\n", r.sent - r.echoed, r.sent);
  EXPECT_EQ(r.echoed, 100);
  EXPECT_EQ(r.foreign, 0);
  for (int i = 0; i < 100 && pm->stats().keepalives < 3; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_GE(pm->stats().keepalives, 3U);  // keep-alive answers reached the library via the stack
  EXPECT_EQ(loop.other_stun(), 0);
  EXPECT_EQ(library_read.load(), 0);  // the library never read the socket
  EXPECT_EQ(pm->stats().attached, 1U);
  loop.stop();
  ::close(fd);
}

TEST(ApplicationOwnedSocket, AttachBeforeTheReceiveLoopRuns) {
  fake srv;
  std::error_code ec;
  auto pm = port_manager::create(opts_for(srv.address()), ec);
  ASSERT_TRUE(pm);
  const int fd = app_socket();
  ASSERT_GE(fd, 0);
  const auto local = *client::local_endpoint(fd);
  mapping m;
  // Nobody reads the socket: attach_socket peeks at the answer.
  ASSERT_FALSE(pm->attach_socket(fd, port_type::sip, remote_v4, m));
  EXPECT_EQ(m.external, local);
  // The answer is still queued for the stack; when its loop starts, it
  // reads it first and the library claims it: nothing is misread as media.
  std::array<std::byte, 2048> buf{};
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const auto n = ::recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
  ASSERT_GT(n, 0);
  ip_endpoint from;
  client::from_sockaddr(ss, from);
  EXPECT_EQ(from, srv.address());
  EXPECT_TRUE(
      pm->handle_datagram(m.internal, from, std::span<const std::byte>(buf).first(static_cast<std::size_t>(n))));
  // Media still flows through the stack's loop afterwards.
  stack_loop loop(fd);
  loop.start(*pm, local);
  const auto r = echo_peer(m.external, 20);
  EXPECT_EQ(r.echoed, 20);
  loop.stop();
  ::close(fd);
}

TEST(ApplicationOwnedSocket, OnlyTheLibrarysOwnStunIsClaimed) {
  fake srv;
  auto o = opts_for(srv.address());
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  ASSERT_TRUE(pm);
  const int fd = app_socket();
  const auto local = *client::local_endpoint(fd);
  stack_loop loop(fd);
  loop.start(*pm, local);
  mapping m;
  ASSERT_FALSE(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, m));
  loop.stop();
  // A peer's Binding request (ICE connectivity check), a response to the
  // stack's own transaction, RTP, an empty datagram, garbage: all the stack's.
  std::vector<std::byte> request(20);
  stun::message_writer w(request);
  std::array<std::byte, 12> id{};
  id[0] = std::byte{7};
  w.begin(stun::binding_request, std::span<const std::byte, 12>(id));
  request.resize(w.size());
  EXPECT_FALSE(pm->handle_datagram(m.internal, remote_v4, request));
  std::vector<std::byte> response(64);
  stun::message_writer w2(response);
  w2.begin(stun::binding_success, std::span<const std::byte, 12>(id))
      .add_xor_address(stun::attr::xor_mapped_address, client::to_stun(remote_v4));
  response.resize(w2.size());
  EXPECT_FALSE(pm->handle_datagram(m.internal, srv.address(), response));
  const std::array<std::byte, 12> rtp{std::byte{0x80}};
  EXPECT_FALSE(pm->handle_datagram(m.internal, remote_v4, rtp));
  EXPECT_FALSE(pm->handle_datagram(m.internal, remote_v4, {}));
  const std::array<std::byte, 3> junk{std::byte{1}, std::byte{2}, std::byte{3}};
  EXPECT_FALSE(pm->handle_datagram(m.internal, remote_v4, junk));
  ::close(fd);
}

TEST(ApplicationOwnedSocket, NeverClosedByTheLibrary) {
  fake srv;
  const int fd = app_socket();
  ASSERT_GE(fd, 0);
  const auto local = *client::local_endpoint(fd);
  test::udp_socket peer;
  const auto still_mine = [&] {
    const std::array<std::byte, 4> d{std::byte{0x80}};
    if (::sendto(fd, d.data(), d.size(), 0, nullptr, 0) < 0 && errno == EBADF) return false;
    client::send_udp(fd, d, peer.local());
    const auto got = peer.receive(1s);
    return got && got->from == local && !port_is_free(local);
  };
  {
    std::error_code ec;
    auto pm = port_manager::create(opts_for(srv.address()), ec);
    ASSERT_TRUE(pm);
    stack_loop loop(fd);
    loop.start(*pm, local);
    mapping m;
    ASSERT_FALSE(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, m));
    mapping twice;
    EXPECT_EQ(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, twice), errc::address_in_use);
    // send() works for attached sockets too: it is a sendto() on the fd.
    const std::array<std::byte, 4> d{std::byte{0x80}};
    ASSERT_FALSE(pm->send(m.internal, peer.local(), d));
    ASSERT_TRUE(peer.receive(1s));
    loop.stop();
    ASSERT_FALSE(pm->detach_socket(m.internal));
    EXPECT_EQ(pm->detach_socket(m.internal), errc::unknown_mapping);
    EXPECT_EQ(pm->stats().attached, 0U);
    EXPECT_TRUE(still_mine()) << "detach_socket closed it";
    // Attached again, then released: forgotten, still not closed.
    loop.start(*pm, local);
    ASSERT_FALSE(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, m));
    loop.stop();
    ASSERT_FALSE(pm->release_mapping(m.internal, m.external));
    EXPECT_TRUE(still_mine()) << "release_mapping closed it";
    // Attached once more and the whole port manager destroyed.
    stack_loop loop2(fd);
    loop2.start(*pm, local);
    ASSERT_FALSE(pm->attach_socket(fd, port_type::audio_rtp, remote_v4, m));
    loop2.stop();
    mapping lib;
    ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::audio_rtp, lib));
    EXPECT_EQ(pm->detach_socket(lib.internal), errc::invalid_argument);  // library-owned: release_mapping
  }
  EXPECT_TRUE(still_mine()) << "destroying the port manager closed it";
  ::close(fd);
}

TEST(ApplicationOwnedSocket, BadDescriptorsAreRefused) {
  fake srv;
  std::error_code ec;
  auto pm = port_manager::create(opts_for(srv.address()), ec);
  ASSERT_TRUE(pm);
  mapping m;
  EXPECT_EQ(pm->attach_socket(-1, port_type::sip, remote_v4, m), errc::invalid_argument);
  const int unbound = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_EQ(pm->attach_socket(unbound, port_type::sip, remote_v4, m), errc::invalid_argument);
  const int fd = app_socket();
  EXPECT_EQ(pm->attach_socket(fd, static_cast<port_type>(9), remote_v4, m), errc::invalid_argument);
  EXPECT_EQ(pm->attach_socket(fd, port_type::sip, ep("[::1]:5060"), m), errc::family_not_supported);
  ::close(unbound);
  ::close(fd);
}
