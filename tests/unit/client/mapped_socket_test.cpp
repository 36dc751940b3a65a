// mapped_socket on a real io_context and loopback sockets: retransmissions,
// validation, ICMP, demultiplexing of application datagrams, close().
#include "mapped_socket.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <optional>

#include "pinhole/errors.hpp"
#include "stun/reader.hpp"
#include "stun_replies.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace std::chrono_literals;

namespace {

struct fd_holder {
  int fd = -1;
  fd_holder() {
    std::error_code ec;
    fd = open_udp(ip_family::v4, ec);
    bind_udp(fd, test::ep("127.0.0.1:0"));
  }
  ~fd_holder() {
    if (fd >= 0) ::close(fd);
  }
  ip_endpoint local() const { return *local_endpoint(fd); }
  // Next datagram (blocking up to 2 s).
  std::optional<std::pair<std::vector<std::byte>, ip_endpoint>> receive() const {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return std::nullopt;
    std::vector<std::byte> buf(2048);
    const auto r = receive_udp(fd, buf);
    if (r.kind != received::datagram) return std::nullopt;
    buf.resize(r.size);
    return std::make_pair(buf, r.peer);
  }
};

class MappedSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    std::error_code ec;
    const int fd = open_udp(ip_family::v4, ec);
    ASSERT_GE(fd, 0);
    ASSERT_FALSE(bind_udp(fd, test::ep("127.0.0.1:0")));
    sock_ = std::make_shared<mapped_socket>(io_, fd, *local_endpoint(fd), rx_, counters_);
    sock_->start();
  }
  void TearDown() override {
    sock_->close();
    io_.run_for(10ms);
  }

  binding_params to(const ip_endpoint& server) {
    binding_params p;
    p.server = server;
    p.tx.rto = 50ms;
    p.tx.rc = 3;
    p.tx.rm = 2;
    return p;
  }
  // Runs the loop until `done` or 3 s.
  template <class Pred>
  bool run_until(Pred done) {
    for (int i = 0; i < 300 && !done(); ++i) {
      if (io_.stopped()) io_.restart();  // it stops whenever it runs out of work
      io_.run_for(10ms);
    }
    return done();
  }
  // Answers the request `req` from `server`, reflecting the requester.
  static void answer(const fd_holder& from, const std::vector<std::byte>& req, const ip_endpoint& to) {
    stun::message_view m;
    ASSERT_FALSE(stun::message_view::parse(req, m));
    test::reply rep;
    std::copy(m.transaction_id().begin(), m.transaction_id().end(), rep.txid.begin());
    rep.xor_mapped = to;
    send_udp(from.fd, rep.bytes(), to);
  }

  asio::io_context io_;
  socket_counters counters_;
  std::vector<std::byte> rx_ = std::vector<std::byte>(65536);
  std::shared_ptr<mapped_socket> sock_;
  std::optional<std::error_code> ec_;
  binding_result result_;
  mapped_socket::completion capture() {
    return [this](std::error_code ec, const binding_result& r) {
      ec_ = ec;
      result_ = r;
    };
  }
};

}  // namespace

TEST_F(MappedSocket, BindingSucceedsAndRejectsAForgedReplyFirst) {
  fd_holder server, forger;
  sock_->binding(to(server.local()), capture());
  io_.run_for(5ms);
  const auto req = server.receive();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->second, sock_->local());
  answer(forger, req->first, req->second);  // right ID, wrong source
  io_.run_for(20ms);
  EXPECT_FALSE(ec_);
  EXPECT_EQ(sock_->rejected(), 1U);
  answer(server, req->first, req->second);
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_FALSE(*ec_);
  EXPECT_TRUE(result_.success);
  EXPECT_EQ(result_.mapped, sock_->local());
  EXPECT_EQ(counters_.responses_ok.load(), 1U);
  EXPECT_EQ(counters_.responses_rejected.load(), 1U);
}

TEST_F(MappedSocket, RetransmitsTheSameRequestThenTimesOut) {
  fd_holder silent;
  sock_->binding(to(silent.local()), capture());
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_EQ(*ec_, errc::timeout);
  EXPECT_EQ(counters_.requests_sent.load(), 3U);  // Rc = 3
  std::vector<std::vector<std::byte>> copies;
  while (auto d = silent.receive()) {
    copies.push_back(d->first);
    if (copies.size() == 3) break;
  }
  ASSERT_EQ(copies.size(), 3U);
  EXPECT_EQ(copies[0], copies[1]);  // a retransmission is the same message
  EXPECT_EQ(copies[1], copies[2]);
}

TEST_F(MappedSocket, IcmpUnreachableFailsTheTransactionAtOnce) {
  ip_endpoint closed;
  {
    fd_holder gone;
    closed = gone.local();
  }
  const auto t0 = std::chrono::steady_clock::now();
  sock_->binding(to(closed), capture());
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_EQ(*ec_, errc::server_unreachable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms);  // before the first retransmission
}

TEST_F(MappedSocket, OtherDatagramsGoToTheApplication) {
  std::vector<std::pair<ip_endpoint, std::size_t>> seen;
  sock_->set_datagram_handler(
      [&](const ip_endpoint& from, std::span<const std::byte> d) { seen.emplace_back(from, d.size()); });
  fd_holder peer;
  const std::vector<std::byte> rtp(160, std::byte{0x80});
  send_udp(peer.fd, rtp, sock_->local());
  test::reply stray;  // a STUN response for no transaction of ours
  stray.txid = test::txid(99);
  stray.xor_mapped = test::ep("192.0.2.1:1");
  send_udp(peer.fd, stray.bytes(), sock_->local());
  ASSERT_TRUE(run_until([&] { return seen.size() == 2; }));
  EXPECT_EQ(seen[0].first, peer.local());
  EXPECT_EQ(seen[0].second, 160U);
  EXPECT_EQ(sock_->rejected(), 0U);
}

TEST_F(MappedSocket, CloseFailsPendingTransactions) {
  fd_holder silent;
  sock_->binding(to(silent.local()), capture());
  io_.run_for(5ms);
  sock_->close();
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_EQ(*ec_, errc::shutting_down);
  EXPECT_TRUE(sock_->closed());
  EXPECT_EQ(sock_->send(std::vector<std::byte>(1), silent.local()), errc::shutting_down);
  ec_.reset();
  sock_->binding(to(silent.local()), capture());
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_EQ(*ec_, errc::shutting_down);
}

TEST_F(MappedSocket, WrongFamilyServerIsRefused) {
  sock_->binding(to(test::ep("[::1]:3478")), capture());
  ASSERT_TRUE(run_until([&] { return ec_.has_value(); }));
  EXPECT_EQ(*ec_, errc::family_not_supported);
  EXPECT_EQ(counters_.requests_sent.load(), 0U);
}
