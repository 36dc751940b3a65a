// Fuzz target: pinholed's request handler, request bytes to response bytes.
// Each input is one datagram, handled under several configurations (plain,
// the four RFC 5780 roles, credentials required) from an IPv4 and an IPv6
// source. Invariants checked on every answer:
//  * only requests are answered (never responses or indications: no loops);
//  * the response parses, echoes the request's cookie + transaction ID, and
//    is a Binding success or error response;
//  * it goes back to the source IP (only the port may change: RESPONSE-PORT);
//  * amplification bound: response size <= request size + max_growth, where
//    max_growth = the largest answer to a 20-byte request (see below);
//  * a success response maps the source exactly, never advertises the
//    receiving socket as OTHER-ADDRESS, and with credentials required the
//    request verified and the response carries a valid MESSAGE-INTEGRITY;
//  * with credentials required, a 420 only answers a verified request and is
//    signed; a 401 never is.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fuzz_check.hpp"
#include "handler.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"

namespace {

using namespace pinhole;
using namespace pinhole::stun;
using daemon::socket_role;

constexpr std::string_view software = "pinhole fuzz";
// RFC 5769 §2.1: the sample request's credentials, so that seed reaches the
// authenticated success path.
constexpr std::string_view username = "evtj:h6vY";
constexpr std::string_view password = "VOkJxbRl1RmTxUk/WvJxBt";

// Largest success response to a 20-byte request: header (20) + XOR-MAPPED-
// ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN and OTHER-ADDRESS for IPv6 (4 x 24)
// + SOFTWARE (4 + padded text) + MESSAGE-INTEGRITY-SHA256 (36) + FINGERPRINT
// (8). Classic responses (MAPPED/SOURCE/CHANGED) and error responses
// (ERROR-CODE <= 24, UNKNOWN-ATTRIBUTES 2 bytes per 4-byte request attribute)
// are smaller. PADDING only ever pads up to the request's own size.
constexpr std::size_t max_growth = 4 * 24 + (4 + padded(software.size())) + 36 + 8;

transport_address v4(std::uint8_t last, std::uint16_t port) { return transport_address::v4({192, 0, 2, last}, port); }
transport_address v6(std::uint8_t last, std::uint16_t port) {
  std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8};
  ip[15] = last;
  return transport_address::v6(ip, port);
}

struct variant {
  daemon::handler_config cfg;
  socket_role role;
};

std::array<variant, 8> make_variants() {
  daemon::handler_config plain;
  daemon::handler_config quad;
  quad.rfc5780 = true;
  quad.software = software;
  quad.role_address = {v4(1, 3478), v4(1, 3479), v4(2, 3478), v4(2, 3479)};
  daemon::handler_config auth;
  auth.auth_required = true;
  auth.username = username;
  auth.key = short_term_key(password);
  daemon::handler_config quad6_auth = auth;
  quad6_auth.rfc5780 = true;
  quad6_auth.software = software;
  quad6_auth.role_address = {v6(1, 3478), v6(1, 3479), v6(2, 3478), v6(2, 3479)};
  return {{{plain, socket_role::single},
           {quad, socket_role::pp},
           {quad, socket_role::pa},
           {quad, socket_role::ap},
           {quad, socket_role::aa},
           {quad, socket_role::single},
           {auth, socket_role::single},
           {quad6_auth, socket_role::aa}}};
}

std::array<std::byte, daemon::max_response_size> out_buf;

void check(bytes_view req, const transport_address& source, const variant& v) {
  const auto r = daemon::handle_request(req, source, v.role, v.cfg, out_buf);
  if (!r.answered()) return;

  FUZZ_CHECK(req.size() >= header_size);
  FUZZ_CHECK(type_class(load_u16(req.data())) == msg_class::request);
  FUZZ_CHECK(r.size >= header_size && r.size <= out_buf.size());
  FUZZ_CHECK(r.size <= req.size() + max_growth);
  FUZZ_CHECK(r.destination.fam == source.fam && r.destination.same_ip(source));
  if (v.role == socket_role::single) FUZZ_CHECK(r.send_from == socket_role::single);

  const bytes_view resp(out_buf.data(), r.size);
  message_view m;
  FUZZ_CHECK(!message_view::parse(resp, m));
  FUZZ_CHECK(std::ranges::equal(m.cookie_and_id(), req.subspan(4, 16)));
  FUZZ_CHECK(m.type() == (r.what == daemon::verdict::success ? binding_success : binding_error));

  message_view request;
  const bool request_ok = !message_view::parse(req, request);
  if (request_ok) {
    FUZZ_CHECK(m.has_fingerprint() == request.has_fingerprint());
    if (!request.find(attr::response_port)) FUZZ_CHECK(r.destination == source);
  }

  if (r.what == daemon::verdict::error_response) {
    const auto ec_attr = m.find(attr::error_code);
    FUZZ_CHECK(ec_attr.has_value());
    error_code_value ev;
    FUZZ_CHECK(!decode_error_code(*ec_attr, ev) && ev.code == r.error_code);
    FUZZ_CHECK(!m.find(attr::xor_mapped_address) && !m.find(attr::mapped_address));
    if (v.cfg.auth_required && ev.code == 420) {
      // Authentication comes first (RFC 8489 §6.3), and a response to an
      // authenticated request is signed (§9.1.3).
      FUZZ_CHECK(request_ok && !verify_integrity(request, v.cfg.key));
      FUZZ_CHECK(!verify_integrity(m, v.cfg.key));
    }
    if (ev.code == 401) FUZZ_CHECK(!m.integrity() && !m.integrity_sha256());
    return;
  }

  // Success: only for a well-formed Binding request.
  FUZZ_CHECK(request_ok && request.method_bits() == static_cast<std::uint16_t>(method::binding));
  transport_address mapped;
  if (m.classic()) {
    const auto a = m.find(attr::mapped_address);
    FUZZ_CHECK(a && !decode_address(*a, mapped));
  } else {
    const auto a = m.find(attr::xor_mapped_address);
    FUZZ_CHECK(a && a->offset == header_size);  // XOR-MAPPED-ADDRESS first
    FUZZ_CHECK(!decode_xor_address(*a, m.cookie_and_id(), mapped));
  }
  FUZZ_CHECK(mapped == source);
  if (const auto other = m.find(attr::other_address)) {
    transport_address o;
    FUZZ_CHECK(!decode_address(*other, o));
    FUZZ_CHECK(v.role != socket_role::single);
    // RFC 5780 §7.4: the alternate IP and port of the socket the request
    // reached, never that socket itself.
    FUZZ_CHECK(o == v.cfg.role_address[static_cast<std::size_t>(daemon::flip(v.role, true, true))]);
    FUZZ_CHECK(o != v.cfg.role_address[static_cast<std::size_t>(v.role)]);
  }
  if (const auto origin = m.find(attr::response_origin)) {
    transport_address o;
    FUZZ_CHECK(!decode_address(*origin, o) && o == v.cfg.role_address[static_cast<std::size_t>(r.send_from)]);
  }
  if (v.cfg.auth_required) {
    FUZZ_CHECK(!verify_integrity(request, v.cfg.key));
    FUZZ_CHECK(!verify_integrity(m, v.cfg.key));
    const auto user = request.find(attr::username);
    FUZZ_CHECK(user && std::ranges::equal(user->value, std::as_bytes(std::span(username))));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto variants = make_variants();
  const bytes_view req(reinterpret_cast<const std::byte*>(data), size);
  const std::uint16_t port = size >= 2 ? static_cast<std::uint16_t>(data[0] << 8U | data[1]) : 40000;
  for (const auto& v : variants) {
    check(req, v4(99, port), v);
    check(req, v6(99, port), v);
  }
  return 0;
}
