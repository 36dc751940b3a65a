#include "relay_directory.hpp"

#include <mutex>
#include <vector>

#include "pinhole/errors.hpp"
#include "random.hpp"
#include "stun/channel_data.hpp"
#include "stun/reader.hpp"
#include "turn_message.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

namespace {
// One per thread, allocated once: a wrapped datagram is at most 64 KiB plus
// the Send indication's headers.
constexpr std::size_t wrap_capacity = 65536 + 64;
std::span<std::byte> wrap_buffer() {
  thread_local std::vector<std::byte> buf(wrap_capacity);
  return buf;
}
constexpr std::size_t send_indication_overhead(std::size_t n, const ip_endpoint& to) noexcept {
  // Header, XOR-PEER-ADDRESS (4 + 8 or 20), DATA (4 + padded data).
  return 20 + 4 + (to.family == ip_family::v4 ? 8U : 20U) + 4 + ((n + 3U) & ~std::size_t{3});
}
}  // namespace

std::uint16_t relay_directory::route::find(const ip_endpoint& peer) const noexcept {
  for (const auto& c : channels) {
    if (c.number != 0 && c.bound && c.peer == peer) return c.number;
  }
  return 0;
}

void relay_directory::route::put(const ip_endpoint& peer, std::uint16_t number, bool bound) noexcept {
  for (auto& c : channels) {
    if (c.number == 0 || c.peer == peer) {
      c = channel{peer, number, bound || (c.bound && c.number == number && c.peer == peer)};
      return;
    }
  }
}

const relay_directory::route* relay_directory::find_route(const ip_endpoint& internal) const noexcept {
  if (const auto it = routes_.find(internal); it != routes_.end()) return &it->second;
  for (const auto& [key, r] : routes_) {
    if (key.family == internal.family && key.port == internal.port) return &r;
  }
  return nullptr;
}

void relay_directory::add(const ip_endpoint& internal, int fd, const ip_endpoint& server) {
  std::unique_lock lk(m_);
  route r;
  r.fd = fd;
  r.server = server;
  routes_.insert_or_assign(internal, r);
}

void relay_directory::remove(const ip_endpoint& internal) {
  std::unique_lock lk(m_);
  routes_.erase(internal);
}

bool relay_directory::contains(const ip_endpoint& internal) const noexcept {
  std::shared_lock lk(m_);
  return routes_.count(internal) != 0;
}

void relay_directory::expect_channel(const ip_endpoint& internal, const ip_endpoint& peer, std::uint16_t number) {
  std::unique_lock lk(m_);
  if (const auto it = routes_.find(internal); it != routes_.end()) it->second.put(peer, number, false);
}

void relay_directory::set_channel(const ip_endpoint& internal, const ip_endpoint& peer, std::uint16_t number) {
  std::unique_lock lk(m_);
  if (const auto it = routes_.find(internal); it != routes_.end()) it->second.put(peer, number, true);
}

void relay_directory::permit(const ip_endpoint& internal, const ip_endpoint& peer) {
  std::unique_lock lk(m_);
  const auto it = routes_.find(internal);
  if (it == routes_.end()) return;
  auto& r = it->second;
  for (std::size_t i = 0; i < r.permitted; ++i) {
    if (r.permissions[i].same_ip(peer)) return;
  }
  if (r.permitted < r.permissions.size()) r.permissions[r.permitted++] = peer;
}

relay_directory::unwrapped relay_directory::unwrap(const ip_endpoint& internal, const ip_endpoint& from,
                                                   std::span<const std::byte> datagram, ip_endpoint& peer,
                                                   std::span<const std::byte>& payload) const noexcept {
  std::shared_lock lk(m_);
  const auto* found = find_route(internal);
  if (found == nullptr) return unwrapped::not_relayed;
  const auto& r = *found;
  if (from != r.server) return unwrapped::not_turn;
  if (stun::looks_like_channel_data(datagram)) {
    stun::channel_data_view v;
    // A length past the datagram is no ChannelData message (§12.4), and one
    // on a channel "not bound to any peer" is "silently discarded" (RFC 8656
    // §12.6, paraphrased from the receiving rules).
    if (stun::decode_channel_data(datagram, v)) return unwrapped::dropped;
    for (const auto& c : r.channels) {
      // A requested channel counts: the answer to our ChannelBind may still
      // be queued behind the server's first ChannelData on it.
      if (c.number != 0 && c.number == v.channel) {
        peer = c.peer;
        payload = v.data;
        return unwrapped::data;
      }
    }
    return unwrapped::dropped;
  }
  if (!stun::looks_like_stun(datagram)) return unwrapped::dropped;
  if (!decode_data_indication(datagram, peer, payload)) return unwrapped::control;
  // RFC 8656 §11.4: discard a Data indication from a peer without an active
  // permission (a server that relays what it should not).
  for (std::size_t i = 0; i < r.permitted; ++i) {
    if (r.permissions[i].same_ip(peer)) return unwrapped::data;
  }
  return unwrapped::dropped;
}

std::optional<std::error_code> relay_directory::send(const ip_endpoint& internal, const ip_endpoint& to,
                                                     std::span<const std::byte> data) const noexcept {
  try {
    std::shared_lock lk(m_);
    const auto it = routes_.find(internal);
    if (it == routes_.end()) return std::nullopt;
    const auto& r = it->second;
    const auto buf = wrap_buffer();
    std::size_t n = 0;
    if (const auto ch = r.find(to); ch != 0) {
      // RFC 8656 §12.5: once the channel is bound, the client sends its data
      // to the peer in ChannelData messages.
      n = stun::encode_channel_data(ch, data, buf);
    } else {
      n = encode_send_indication(new_transaction_id(), to, data, buf);
    }
    if (n == 0) return make_error_code(errc::invalid_argument);  // larger than a datagram can carry
    // Held while sending: the descriptor cannot be closed under us.
    if (send_udp(r.fd, std::span<const std::byte>(buf).first(n), r.server)) return make_error_code(errc::socket_error);
    return std::error_code{};
  } catch (...) {
    return make_error_code(errc::socket_error);
  }
}

std::size_t relay_directory::wrapped_size(const ip_endpoint& internal, const ip_endpoint& to,
                                          std::size_t n) const noexcept {
  std::shared_lock lk(m_);
  const auto it = routes_.find(internal);
  if (it == routes_.end()) return 0;
  return it->second.find(to) != 0 ? stun::channel_data_size(n) : send_indication_overhead(n, to);
}

}  // namespace pinhole::client
