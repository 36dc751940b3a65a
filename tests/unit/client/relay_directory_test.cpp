// relay_directory: wrapping for send() and the unwrapping gate that both
// socket models use for what a TURN server sends (ChannelData and Data
// indications), including hostile messages: lengths past the datagram,
// unbound channels, peers without a permission, other senders.
#include "relay_directory.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

#include "address_conv.hpp"
#include "stun/channel_data.hpp"
#include "stun/reader.hpp"
#include "stun/turn.hpp"
#include "turn_message.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace pinhole::client;
using unwrapped = relay_directory::unwrapped;

namespace {

const ip_endpoint internal = *ip_endpoint::parse("198.18.0.10:40000");
const ip_endpoint server = *ip_endpoint::parse("203.0.113.3:3478");
const ip_endpoint peer = *ip_endpoint::parse("198.51.100.20:5004");
const ip_endpoint stranger = *ip_endpoint::parse("198.51.100.66:5004");

std::vector<std::byte> channel_data(std::uint16_t ch, std::size_t n) {
  std::vector<std::byte> payload(n, std::byte{0x80});
  std::vector<std::byte> out(stun::channel_data_size(n));
  out.resize(stun::encode_channel_data(ch, payload, out));
  return out;
}

std::vector<std::byte> data_indication(const ip_endpoint& from_peer, std::size_t n) {
  std::vector<std::byte> payload(n, std::byte{0x80});
  std::vector<std::byte> out(256);
  out.resize(encode_send_indication(txid_t{}, from_peer, payload, out));
  stun::store_u16(out.data(), stun::data_indication);  // same attributes, the Data method
  return out;
}

bool inside(std::span<const std::byte> part, std::span<const std::byte> whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

struct RelayGate : ::testing::Test {
  relay_directory d;
  ip_endpoint got;
  std::span<const std::byte> payload;
  unwrapped unwrap(const ip_endpoint& from, std::span<const std::byte> dg, const ip_endpoint& at = internal) {
    return d.unwrap(at, from, dg, got, payload);
  }
  void SetUp() override { d.add(internal, -1, server); }
};

}  // namespace

TEST_F(RelayGate, NotRelayedOrNotFromTheServer) {
  const auto cd = channel_data(0x4000, 20);
  EXPECT_EQ(unwrap(server, cd, *ip_endpoint::parse("198.18.0.10:40001")), unwrapped::not_relayed);
  EXPECT_EQ(unwrap(stranger, cd), unwrapped::not_turn);  // direct traffic stays the application's
  d.remove(internal);
  EXPECT_EQ(unwrap(server, cd), unwrapped::not_relayed);
}

TEST_F(RelayGate, ChannelDataOnRequestedAndBoundChannels) {
  const auto cd = channel_data(0x4000, 172);
  EXPECT_EQ(unwrap(server, cd), unwrapped::dropped);  // no channel: "silently discarded"
  d.expect_channel(internal, peer, 0x4000);
  ASSERT_EQ(unwrap(server, cd), unwrapped::data);  // the ChannelBind answer may still be queued
  EXPECT_EQ(got, peer);
  EXPECT_EQ(payload.size(), 172U);
  EXPECT_TRUE(inside(payload, cd));
  // Requested only: sending still uses Send indications (RFC 8656 §12.1).
  EXPECT_EQ(d.wrapped_size(internal, peer, 172), 20U + 12U + 4U + 172U);
  d.set_channel(internal, peer, 0x4000);
  EXPECT_EQ(d.wrapped_size(internal, peer, 172), 176U);  // 4 bytes of ChannelData header
  EXPECT_EQ(unwrap(server, cd), unwrapped::data);
  // Renewing the ChannelBind (expect again) keeps it bound.
  d.expect_channel(internal, peer, 0x4000);
  EXPECT_EQ(d.wrapped_size(internal, peer, 172), 176U);
  EXPECT_EQ(unwrap(server, channel_data(0x4001, 10)), unwrapped::dropped);  // another channel
}

TEST_F(RelayGate, HostileChannelDataIsDropped) {
  d.set_channel(internal, peer, 0x4000);
  auto cd = channel_data(0x4000, 16);
  // A length past the datagram (RFC 8656 §12.6).
  auto longer = cd;
  stun::store_u16(longer.data() + 2, 17);
  longer.resize(4 + 16);
  EXPECT_EQ(unwrap(server, longer), unwrapped::dropped);
  stun::store_u16(longer.data() + 2, 0xFFFF);
  EXPECT_EQ(unwrap(server, longer), unwrapped::dropped);
  // Shorter than its header.
  EXPECT_EQ(unwrap(server, std::span<const std::byte>(cd).first(3)), unwrapped::dropped);
  // A channel number in range but bound to no peer.
  auto other = cd;
  stun::store_u16(other.data(), 0x4FFF);
  EXPECT_EQ(unwrap(server, other), unwrapped::dropped);
  // Garbage from the server that is neither STUN nor ChannelData.
  const std::array<std::byte, 8> junk{std::byte{0x80}};
  EXPECT_EQ(unwrap(server, junk), unwrapped::dropped);
}

TEST_F(RelayGate, DataIndicationsNeedAPermission) {
  const auto di = data_indication(peer, 40);
  EXPECT_EQ(unwrap(server, di), unwrapped::dropped);         // §11.4: no permission for the peer's IP
  d.permit(internal, ip_endpoint{peer.family, peer.ip, 0});  // permissions are per IP
  ASSERT_EQ(unwrap(server, di), unwrapped::data);
  EXPECT_EQ(got, peer);
  EXPECT_EQ(payload.size(), 40U);
  EXPECT_TRUE(inside(payload, di));
  EXPECT_EQ(unwrap(server, data_indication(stranger, 40)), unwrapped::dropped);
  // A response (not a Data indication) is control traffic: matched by transaction ID elsewhere.
  auto response = di;
  stun::store_u16(response.data(), 0x0103);  // Allocate success
  EXPECT_EQ(unwrap(server, response), unwrapped::control);
  // A Data indication whose length overruns the datagram is not one.
  auto cut = di;
  cut.resize(cut.size() - 8);
  EXPECT_NE(unwrap(server, cut), unwrapped::data);
}

TEST_F(RelayGate, WildcardNameFindsTheRoute) {
  d.set_channel(internal, peer, 0x4002);
  const auto cd = channel_data(0x4002, 8);
  EXPECT_EQ(unwrap(server, cd, *ip_endpoint::parse("0.0.0.0:40000")), unwrapped::data);
  EXPECT_EQ(unwrap(server, cd, *ip_endpoint::parse("[::]:40000")), unwrapped::not_relayed);
}

TEST(RelayDirectory, SendWrapsChannelDataOnceBound) {
  // The mapped socket and the "TURN server", both UDP on loopback.
  const auto udp = [](ip_endpoint& at) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_storage ss{};
    const auto len = to_sockaddr(*ip_endpoint::parse("127.0.0.1:0"), ss);
    EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len), 0);
    at = *local_endpoint(fd);
    return fd;
  };
  ip_endpoint mine, relay;
  const int fd = udp(mine);
  const int srv = udp(relay);
  relay_directory r;
  r.add(mine, fd, relay);
  const std::array<std::byte, 172> rtp{std::byte{0x80}};
  ASSERT_EQ(r.send(mine, peer, rtp), std::error_code{});
  std::array<std::byte, 512> buf{};
  auto n = ::recv(srv, buf.data(), buf.size(), 0);
  ASSERT_EQ(n, 20 + 12 + 4 + 172);  // a Send indication until the channel is bound
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(std::span<const std::byte>(buf).first(static_cast<std::size_t>(n)), m));
  EXPECT_EQ(m.type(), stun::send_indication);
  r.set_channel(mine, peer, 0x4003);
  ASSERT_EQ(r.send(mine, peer, rtp), std::error_code{});
  n = ::recv(srv, buf.data(), buf.size(), 0);
  ASSERT_EQ(n, 176);  // ChannelData: 4 bytes more than the payload
  EXPECT_EQ(std::to_integer<unsigned>(buf[0]), 0x40U);
  EXPECT_EQ(std::to_integer<unsigned>(buf[1]), 0x03U);
  EXPECT_FALSE(r.send(*ip_endpoint::parse("127.0.0.1:1"), peer, rtp).has_value());  // not relayed: sent directly
  ::close(fd);
  ::close(srv);
}
