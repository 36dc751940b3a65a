#include "natpmp_codec.hpp"

namespace pinhole::client::portmap {

namespace {
constexpr std::uint8_t version = 0;
constexpr unsigned natpmp_response_bit = 128;
}  // namespace

std::size_t encode_natpmp_address_request(std::span<std::byte, natpmp_address_request_size> out) noexcept {
  // RFC 6886 §3.2: "To determine the external address, the client behind
  // the NAT sends the following UDP payload to port 5351 of the configured
  // gateway address": Vers = 0, OP = 0.
  out[0] = std::byte{version};
  out[1] = std::byte{0};
  return natpmp_address_request_size;
}

std::size_t encode_natpmp_map_request(const natpmp_map_request& r,
                                      std::span<std::byte, natpmp_map_request_size> out) noexcept {
  // §3.3: Vers = 0, OP = x (1 UDP), Reserved (MUST be 0), Internal Port,
  // Suggested External Port, Requested Port Mapping Lifetime in Seconds.
  out[0] = std::byte{version};
  out[1] = std::byte{static_cast<std::uint8_t>(natpmp_op::map_udp)};
  put16(out, 2, 0);
  put16(out, 4, r.internal_port);
  // §3.4: a deletion (lifetime 0) carries a zero Suggested External Port.
  put16(out, 6, r.lifetime == 0 ? std::uint16_t{0} : r.suggested_external_port);
  put32(out, 8, r.lifetime);
  return natpmp_map_request_size;
}

std::error_code decode_natpmp_response(std::span<const std::byte> in, natpmp_op asked, natpmp_response& out) noexcept {
  if (in.size() < 4) return wire_errc::too_short;
  const auto vers = std::to_integer<unsigned>(in[0]);
  const auto op = std::to_integer<unsigned>(in[1]);
  // §3.5: a response carries the request's opcode plus 128.
  if (op < natpmp_response_bit) return wire_errc::not_response;
  if (op != natpmp_response_bit + static_cast<unsigned>(asked)) return wire_errc::bad_opcode;
  const auto result = get16(in, 2);
  if (vers != version) {
    // A PCP server answers a NAT-PMP request with its own version number
    // and UNSUPP_VERSION (RFC 6887 §9); anything else is not NAT-PMP.
    return wire_errc::bad_version;
  }
  out = natpmp_response{};
  out.op = asked;
  out.result = static_cast<natpmp_result>(result);
  if (in.size() < 8) return wire_errc::too_short;
  out.epoch = get32(in, 4);
  if (result != 0) return {};  // the remaining fields mean nothing in an error answer
  if (asked == natpmp_op::external_address) {
    if (in.size() < natpmp_address_response_size) return wire_errc::too_short;
    for (std::size_t i = 0; i < 4; ++i) out.external_ip[i] = std::to_integer<std::uint8_t>(in[8 + i]);
    if (out.external_ip == std::array<std::uint8_t, 4>{}) return wire_errc::bad_address;
    return {};
  }
  if (in.size() < natpmp_map_response_size) return wire_errc::too_short;
  out.internal_port = get16(in, 8);
  out.external_port = get16(in, 10);
  out.lifetime = get32(in, 12);
  return {};
}

}  // namespace pinhole::client::portmap
