// The blocking poll(2) client against a responder thread on loopback.
#include "sync_client.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "pinhole/errors.hpp"
#include "random.hpp"
#include "stun/reader.hpp"
#include "stun_replies.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace std::chrono_literals;

namespace {

int bound_socket(const char* local = "127.0.0.1:0") {
  std::error_code ec;
  const int fd = open_udp(ip_family::v4, ec);
  bind_udp(fd, test::ep(local));
  return fd;
}

// Reflects every Binding request's source in XOR-MAPPED-ADDRESS.
class responder {
 public:
  responder() : fd_(bound_socket()), thread_([this] { loop(); }) {}
  ~responder() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  ip_endpoint address() const { return *local_endpoint(fd_); }

 private:
  void loop() {
    std::vector<std::byte> buf(2048);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const auto r = receive_udp(fd_, buf);
      if (r.kind != received::datagram) continue;
      stun::message_view m;
      if (stun::message_view::parse(std::span<const std::byte>(buf).first(r.size), m)) continue;
      test::reply rep;
      std::copy(m.transaction_id().begin(), m.transaction_id().end(), rep.txid.begin());
      rep.xor_mapped = r.peer;
      send_udp(fd_, rep.bytes(), r.peer);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

sync_request request_to(const ip_endpoint& server) {
  sync_request r;
  r.to = r.expected_source = server;
  r.tx.rto = 50ms;
  r.cap = 1000ms;
  return r;
}

}  // namespace

TEST(SyncClient, BindingReturnsTheReflexiveAddress) {
  responder srv;
  const int fd = bound_socket();
  binding_result out;
  ASSERT_FALSE(sync_binding(fd, ip_family::v4, request_to(srv.address()), out));
  EXPECT_EQ(out.mapped, *local_endpoint(fd));
  EXPECT_EQ(out.from, srv.address());
  ::close(fd);
}

TEST(SyncClient, AnswerFromTheWrongAddressIsABadResponse) {
  responder srv;
  const int fd = bound_socket();
  auto req = request_to(srv.address());
  req.expected_source = test::ep("127.0.0.2:3479");  // as for a CHANGE-REQUEST
  req.cap = 300ms;
  binding_result out;
  EXPECT_EQ(sync_binding(fd, ip_family::v4, req, out), errc::bad_response);
  ::close(fd);
}

TEST(SyncClient, CapBoundsASilentServer) {
  const int silent = bound_socket();
  const int fd = bound_socket();
  auto req = request_to(*local_endpoint(silent));
  req.cap = 200ms;
  binding_result out;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sync_binding(fd, ip_family::v4, req, out), errc::timeout);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 400ms);
  ::close(fd);
  ::close(silent);
}

TEST(SyncClient, ClosedPortIsUnreachable) {
  ip_endpoint closed;
  {
    const int gone = bound_socket();
    closed = *local_endpoint(gone);
    ::close(gone);
  }
  const int fd = bound_socket();
  binding_result out;
  EXPECT_EQ(sync_binding(fd, ip_family::v4, request_to(closed), out), errc::server_unreachable);
  ::close(fd);
}

TEST(SyncClient, WaitForRequestSeesOnlyTheRightTransaction) {
  const int a = bound_socket();
  const int b = bound_socket();
  request_spec other;
  other.txid = new_transaction_id();
  request_spec mine;
  mine.txid = new_transaction_id();
  std::vector<std::byte> o, m;
  ASSERT_FALSE(build_binding_request(other, o));
  ASSERT_FALSE(build_binding_request(mine, m));
  send_udp(b, o, *local_endpoint(a));
  EXPECT_FALSE(wait_for_request(a, mine.txid, 100ms));
  send_udp(b, m, *local_endpoint(a));
  EXPECT_TRUE(wait_for_request(a, mine.txid, 1000ms));
  ::close(a);
  ::close(b);
}
