// packet_batch over a real loopback UDP socket, in both I/O modes: batched
// recvmmsg/sendmmsg and the per-datagram recvmsg/sendmsg fallback.
#include "packet_batch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "udp_peer.hpp"
#include "udp_socket.hpp"

using namespace pinhole;
using namespace pinhole::daemon;
using stun::transport_address;

namespace {

struct server_socket {
  int fd = -1;
  transport_address bound;
  transport_address reach;  // where a client sends: bound, with 127.0.0.1 for a wildcard
  explicit server_socket(const char* at = "127.0.0.1:0") {
    if (open_udp_socket(*transport_address::parse(at), socket_options{}, fd, bound)) {
      throw std::runtime_error("open_udp_socket");
    }
    reach = *transport_address::parse_ip("127.0.0.1", bound.port);
  }
  ~server_socket() { ::close(fd); }
  server_socket(const server_socket&) = delete;
  server_socket& operator=(const server_socket&) = delete;
};

std::vector<std::byte> payload(std::size_t i, std::size_t size = 24) {
  std::vector<std::byte> p(size);
  for (std::size_t k = 0; k < size; ++k) p[k] = static_cast<std::byte>(i * 31U + k);
  return p;
}

// Reads until `want` datagrams arrived (the kernel queues them at once on
// loopback, but do not depend on it).
std::size_t receive_all(packet_batch& b, int fd, std::size_t want, std::vector<std::vector<std::byte>>& got) {
  for (int attempt = 0; attempt < 200 && got.size() < want; ++attempt) {
    const int n = b.receive(fd);
    EXPECT_GE(n, 0);
    for (int k = 0; k < n; ++k) {
      const auto& d = b.at(static_cast<std::size_t>(k));
      got.emplace_back(d.payload.begin(), d.payload.end());
    }
    if (n == 0) ::usleep(1000);
  }
  return got.size();
}

class PacketBatch : public ::testing::TestWithParam<io_mode> {};

TEST_P(PacketBatch, ReceivesEveryDatagramWithPeerAndLocalAddress) {
  server_socket s("0.0.0.0:0");  // wildcard: PKTINFO tells which address was reached
  test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  packet_batch b(4, 256, GetParam());
  EXPECT_EQ(b.batched_io(), GetParam() == io_mode::automatic);
  EXPECT_EQ(b.receive(s.fd), 0);  // nothing queued yet
  for (std::size_t i = 0; i < 10; ++i) client.send_to(payload(i), s.reach);

  std::vector<std::vector<std::byte>> got;
  ASSERT_EQ(receive_all(b, s.fd, 10, got), 10U);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], payload(i)) << i;
  // The last batch still describes its datagrams.
  const auto& d = b.at(0);
  EXPECT_FALSE(d.truncated);
  EXPECT_EQ(d.peer, client.local());
  ASSERT_TRUE(d.has_local);
  EXPECT_EQ(d.local.fam, stun::family::ipv4);
  EXPECT_EQ(d.local.ip[0], 127);
}

TEST_P(PacketBatch, SocketBoundToOneAddressNeedsNoPktinfo) {
  server_socket s;  // 127.0.0.1: the kernel answers from it without control messages
  test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  packet_batch b(4, 256, GetParam());
  client.send_to(payload(1), s.bound);
  std::vector<std::vector<std::byte>> got;
  ASSERT_EQ(receive_all(b, s.fd, 1, got), 1U);
  const auto& d = b.at(0);
  EXPECT_FALSE(d.has_local);
  b.queue(0, d.peer, d);  // an empty answer is still a datagram
  EXPECT_EQ(b.flush(s.fd), 1U);
  const auto r = client.receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->from, s.bound);
}

TEST_P(PacketBatch, FlagsOversizedDatagramsAsTruncated) {
  server_socket s;
  test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  packet_batch b(4, 32, GetParam());
  client.send_to(payload(1, 64), s.bound);
  client.send_to(payload(2, 32), s.bound);
  int n = 0;
  for (int attempt = 0; attempt < 200 && n < 2; ++attempt) {
    n = b.receive(s.fd);
    if (n < 2) ::usleep(1000);
  }
  ASSERT_EQ(n, 2);
  EXPECT_TRUE(b.at(0).truncated);
  EXPECT_TRUE(b.at(0).payload.empty());
  EXPECT_FALSE(b.at(1).truncated);
  EXPECT_EQ(b.at(1).payload.size(), 32U);
}

TEST_P(PacketBatch, FlushSendsEveryQueuedAnswerFromTheLocalAddress) {
  server_socket s("0.0.0.0:0");
  test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  packet_batch b(8, 256, GetParam());
  for (std::size_t i = 0; i < 5; ++i) client.send_to(payload(i), s.reach);
  std::vector<std::vector<std::byte>> got;
  ASSERT_EQ(receive_all(b, s.fd, 5, got), 5U);

  // Echo the last received datagram's peer five times, each a different answer.
  const auto& via = b.at(0);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto answer = payload(100 + i, 40);
    const auto out = b.tx_buffer();
    std::memcpy(out.data(), answer.data(), answer.size());
    b.queue(answer.size(), via.peer, via);
  }
  EXPECT_EQ(b.queued(), 5U);
  EXPECT_EQ(b.queued_bytes(), 200U);
  EXPECT_EQ(b.flush(s.fd), 5U);
  EXPECT_EQ(b.queued(), 0U);
  for (std::size_t i = 0; i < 5; ++i) {
    const auto r = client.receive();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->bytes, payload(100 + i, 40));
    EXPECT_EQ(r->from, s.reach);  // from the address reached, not 0.0.0.0
  }
}

// After a flush, each queued datagram says whether the kernel took it, with
// the caller's tag: the worker counts every answer once, as its result or as
// send_failed. Port 0 is no destination (sendmsg fails with EINVAL).
TEST_P(PacketBatch, FlushReportsWhichDatagramsLeftWithTheirTags) {
  server_socket s;
  test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  packet_batch b(8, 256, GetParam());
  client.send_to(payload(0), s.reach);
  std::vector<std::vector<std::byte>> got;
  ASSERT_EQ(receive_all(b, s.fd, 1, got), 1U);
  const auto& via = b.at(0);
  auto nowhere = via.peer;
  nowhere.port = 0;
  const transport_address to[] = {via.peer, nowhere, via.peer, nowhere};
  for (std::uint8_t i = 0; i < 4; ++i) {
    const auto answer = payload(200 + i, 20 + i);
    std::memcpy(b.tx_buffer().data(), answer.data(), answer.size());
    b.queue(answer.size(), to[i], via, static_cast<std::uint8_t>(10 + i));
  }
  EXPECT_EQ(b.flush(s.fd), 2U);
  for (std::uint8_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b.flushed_ok(i), i % 2 == 0) << int{i};
    EXPECT_EQ(b.flushed_tag(i), 10 + i) << int{i};
    EXPECT_EQ(b.flushed_size(i), 20U + i) << int{i};
  }
  for (std::size_t i : {std::size_t{0}, std::size_t{2}}) {
    const auto r = client.receive();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->bytes, payload(200 + i, 20 + i));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PacketBatch, ::testing::Values(io_mode::automatic, io_mode::single),
                         [](const auto& p) { return p.param == io_mode::automatic ? "Batched" : "Single"; });

TEST(PacketBatchMode, EnvironmentForcesTheFallback) {
  ::setenv("PINHOLE_NO_MMSG", "1", 1);
  const packet_batch forced(2, 64);
  ::unsetenv("PINHOLE_NO_MMSG");
  const packet_batch normal(2, 64);
  EXPECT_FALSE(forced.batched_io());
  EXPECT_TRUE(normal.batched_io());
}

}  // namespace
