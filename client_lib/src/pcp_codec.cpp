#include "pcp_codec.hpp"

#include <algorithm>

namespace pinhole::client::portmap {

namespace {
constexpr unsigned pcp_response_bit = 0x80;

bool is_v4_mapped(std::span<const std::byte, 16> a) noexcept {
  for (std::size_t i = 0; i < 10; ++i) {
    if (a[i] != std::byte{0}) return false;
  }
  return a[10] == std::byte{0xff} && a[11] == std::byte{0xff};
}
}  // namespace

bool pcp_transient(pcp_result r) noexcept {
  return r == pcp_result::network_failure || r == pcp_result::no_resources || r == pcp_result::user_ex_quota ||
         r == pcp_result::excessive_remote_peers;
}

std::array<std::uint8_t, 16> pcp_address(const ip_endpoint& e) noexcept {
  // RFC 6887 §5: IPv4 addresses travel as IPv4-mapped IPv6 addresses
  // (::ffff:0:0/96).
  std::array<std::uint8_t, 16> a{};
  if (e.family == ip_family::v6) return e.ip;
  a[10] = 0xff;
  a[11] = 0xff;
  std::copy_n(e.ip.begin(), 4, a.begin() + 12);
  return a;
}

ip_endpoint from_pcp_address(std::span<const std::byte, 16> a, std::uint16_t port) noexcept {
  ip_endpoint e;
  e.port = port;
  if (is_v4_mapped(a)) {
    e.family = ip_family::v4;
    for (std::size_t i = 0; i < 4; ++i) e.ip[i] = std::to_integer<std::uint8_t>(a[12 + i]);
  } else {
    e.family = ip_family::v6;
    for (std::size_t i = 0; i < 16; ++i) e.ip[i] = std::to_integer<std::uint8_t>(a[i]);
  }
  return e;
}

std::size_t encode_pcp_map_request(const pcp_map_request& r, std::span<std::byte, pcp_map_request_size> out) noexcept {
  std::fill(out.begin(), out.end(), std::byte{0});
  // §7.1 request header: Version = 2, R = 0, Opcode, Reserved (MUST be 0),
  // Requested Lifetime, PCP Client's IP Address (128 bits).
  out[0] = std::byte{pcp_version};
  out[1] = std::byte{pcp_op_map};
  put32(out, 4, r.lifetime);
  const auto client = pcp_address(r.client);
  for (std::size_t i = 0; i < 16; ++i) out[8 + i] = std::byte{client[i]};
  // §11.1 MAP opcode: Mapping Nonce (96 bits), Protocol, Reserved (24
  // bits), Internal Port, Suggested External Port, Suggested External IP.
  auto map = out.subspan(pcp_header_size);
  for (std::size_t i = 0; i < 12; ++i) map[i] = std::byte{r.nonce[i]};
  map[12] = std::byte{r.protocol};
  put16(map, 16, r.internal_port);
  put16(map, 18, r.suggested.port);
  // Without a preference the client sends the address family's all-zeros
  // address (§11.1): ::ffff:0.0.0.0 for IPv4, :: for IPv6.
  const auto suggested = pcp_address(r.suggested);
  for (std::size_t i = 0; i < 16; ++i) map[20 + i] = std::byte{suggested[i]};
  return pcp_map_request_size;
}

std::size_t encode_pcp_announce(const ip_endpoint& client, std::span<std::byte, pcp_header_size> out) noexcept {
  std::fill(out.begin(), out.end(), std::byte{0});
  out[0] = std::byte{pcp_version};
  out[1] = std::byte{pcp_op_announce};
  const auto a = pcp_address(client);
  for (std::size_t i = 0; i < 16; ++i) out[8 + i] = std::byte{a[i]};
  return pcp_header_size;
}

std::error_code decode_pcp_header(std::span<const std::byte> in, pcp_header& out) noexcept {
  // §8.3: a response shorter than the header, longer than 1100 octets or
  // not a multiple of 4 octets is invalid and dropped.
  if (in.size() < 4) return wire_errc::too_short;
  out.version = std::to_integer<std::uint8_t>(in[0]);
  const auto op = std::to_integer<unsigned>(in[1]);
  if ((op & pcp_response_bit) == 0) return wire_errc::not_response;
  out.opcode = static_cast<std::uint8_t>(op & 0x7f);
  out.result = static_cast<pcp_result>(std::to_integer<std::uint8_t>(in[3]));
  if (out.version != pcp_version) {
    // §9 version negotiation: an older server answers UNSUPP_VERSION with
    // the version it speaks (NAT-PMP: 0); only that result is meaningful.
    return out.result == pcp_result::unsupp_version ? std::error_code{} : make_error_code(wire_errc::bad_version);
  }
  if (in.size() < pcp_header_size) return wire_errc::too_short;
  if (in.size() > pcp_max_message) return wire_errc::too_long;
  if (in.size() % 4 != 0) return wire_errc::bad_length;
  out.lifetime = get32(in, 4);
  out.epoch = get32(in, 8);
  return {};
}

namespace {
// §7.3: options follow the opcode data: code (8), reserved (8), length
// (16, of the data), data padded to a multiple of 4. An option running past
// the end makes the whole message malformed.
std::error_code check_options(std::span<const std::byte> opts) noexcept {
  std::size_t at = 0;
  while (at < opts.size()) {
    if (opts.size() - at < 4) return wire_errc::bad_option;
    const std::size_t len = get16(opts, at + 2);
    const std::size_t padded = (len + 3U) & ~std::size_t{3};
    if (padded > opts.size() - at - 4) return wire_errc::bad_option;
    at += 4 + padded;
  }
  return {};
}
}  // namespace

std::error_code decode_pcp_map_response(std::span<const std::byte> in, const pcp_map_request& asked,
                                        pcp_map_response& out) noexcept {
  pcp_header h;
  if (const auto ec = decode_pcp_header(in, h)) return ec;
  out = pcp_map_response{};
  out.result = h.result;
  if (h.version != pcp_version) return {};  // UNSUPP_VERSION from an older server
  if (h.opcode != pcp_op_map) return wire_errc::bad_opcode;
  out.lifetime = h.lifetime;
  out.epoch = h.epoch;
  if (in.size() < pcp_map_request_size) {
    // Error answers to a request the server could not parse may carry
    // only the header; success never does.
    return h.result == pcp_result::success ? make_error_code(wire_errc::too_short) : std::error_code{};
  }
  const auto map = in.subspan(pcp_header_size, pcp_map_size);
  for (std::size_t i = 0; i < 12; ++i) out.nonce[i] = std::to_integer<std::uint8_t>(map[i]);
  out.protocol = std::to_integer<std::uint8_t>(map[12]);
  out.internal_port = get16(map, 16);
  out.external = from_pcp_address(map.subspan<20, 16>(), get16(map, 18));
  if (const auto ec = check_options(in.subspan(pcp_map_request_size))) return ec;
  // §11.5: the client accepts a MAP response only if its Mapping Nonce,
  // Protocol and Internal Port match a request it sent.
  if (out.nonce != asked.nonce || out.protocol != asked.protocol || out.internal_port != asked.internal_port) {
    return wire_errc::mismatch;
  }
  if (h.result == pcp_result::success && asked.lifetime != 0) {
    // A success for a new mapping names a real external address of the
    // family asked for, and a port.
    if (out.external.family != asked.client.family || out.external.is_unspecified() || out.external.port == 0) {
      return wire_errc::bad_address;
    }
  }
  return {};
}

}  // namespace pinhole::client::portmap
