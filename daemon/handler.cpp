#include "handler.hpp"

#include <algorithm>

#include "stun/attributes.hpp"
#include "stun/constants.hpp"
#include "stun/errors.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace pinhole::daemon {
namespace {

using namespace pinhole::stun;

// At most this many types are echoed in UNKNOWN-ATTRIBUTES; the request held
// at least 4 bytes per unknown attribute, so the list never amplifies.
constexpr std::size_t max_unknown_listed = 16;

std::string_view reason_phrase(std::uint16_t /*code*/) noexcept {
  // RFC 8489 §14.8: "The reason phrase is meant for diagnostic purposes and
  // can be anything appropriate for the error code." The numeric code says it
  // all; an empty phrase keeps every error response within request + 12 bytes
  // (ERROR-CODE header + UNKNOWN-ATTRIBUTES), so errors cannot amplify (a 420
  // for a 28-byte request was 56 bytes with "Unknown Attribute", now 36).
  return {};
}

struct request_facts {
  std::span<const std::byte, 16> cookie_and_id;
  bool fingerprint = false;
};

handler_result build_error(const request_facts& req, std::uint16_t code, std::span<const std::uint16_t> unknown,
                           std::error_code why, const transport_address& source, socket_role received_on,
                           std::span<std::byte> out) noexcept {
  message_writer w(out);
  w.begin(binding_error, req.cookie_and_id);
  w.add_error_code(code, reason_phrase(code));
  // RFC 8489 §14.9: UNKNOWN-ATTRIBUTES "is present only in an error response
  // when the response code in the ERROR-CODE attribute is 420".
  if (code == 420) w.add_unknown_attributes(unknown);
  if (req.fingerprint) w.add_fingerprint();
  handler_result r;
  if (w.error()) {
    r.what = verdict::drop_malformed;
    r.reason = w.error();
    return r;
  }
  r.what = verdict::error_response;
  r.error_code = code;
  r.size = w.size();
  r.send_from = received_on;
  r.destination = source;
  r.reason = why;
  return r;
}

bool header_level_error(std::error_code ec) noexcept {
  // Errors that mean "this datagram is not a STUN message we can answer":
  // RFC 8489 §6.3: a message that fails the basic checks "is discarded".
  return ec == errc::truncated || ec == errc::not_stun || ec == errc::bad_length || ec == errc::bad_fingerprint;
}

}  // namespace

handler_result handle_request(std::span<const std::byte> request, const transport_address& source,
                              socket_role received_on, const handler_config& cfg, std::span<std::byte> out) noexcept {
  handler_result drop;
  message_view m;
  if (auto ec = message_view::parse(request, m)) {
    drop.reason = ec;
    if (header_level_error(ec)) return drop;
    // The header is sound but the attributes are not. Only requests get an
    // answer: RFC 8489 §6.3.1 "If the request is malformed ... the server
    // MUST ... generate an error response with an error code of 400".
    const std::uint16_t type = load_u16(request.data());
    if (type_class(type) != msg_class::request) return drop;
    const request_facts facts{request.subspan<4, 16>(), false};
    return build_error(facts, 400, {}, ec, source, received_on, out);
  }

  switch (m.cls()) {
    case msg_class::request: break;
    case msg_class::indication: drop.what = verdict::drop_indication; return drop;
    default: drop.what = verdict::drop_response; return drop;
  }
  const request_facts facts{m.cookie_and_id(), m.has_fingerprint()};
  if (m.method_bits() != static_cast<std::uint16_t>(method::binding)) {
    return build_error(facts, 400, {}, errc::bad_attribute_value, source, received_on, out);
  }

  // One pass over the processed attributes: collect what the response needs
  // and every comprehension-required attribute we do not understand.
  std::array<std::uint16_t, max_unknown_listed> unknown{};
  std::size_t unknown_count = 0;
  std::optional<raw_attribute> change_req;
  std::optional<raw_attribute> response_port;
  std::optional<raw_attribute> padding;
  std::optional<raw_attribute> username;
  // Most Binding requests carry no attribute but FINGERPRINT (validated by
  // parse()): skip the attribute walk for them altogether.
  const bool only_fingerprint = request.size() == header_size + (m.has_fingerprint() ? 8U : 0U);
  if (!only_fingerprint) {
    for (const auto& a : m) {
      switch (a.type) {
        case attr::change_request: if (!change_req) change_req = a; break;
        case attr::response_port: if (!response_port) response_port = a; break;
        case attr::padding: if (!padding) padding = a; break;
        case attr::username: if (!username) username = a; break;
        default:
          // RFC 8489 §6.3.1: "If the request contains one or more unknown
          // comprehension-required attributes, the server replies with an error
          // response with an error code of 420 (Unknown Attribute) and includes
          // an UNKNOWN-ATTRIBUTES attribute in the response that lists the
          // unknown comprehension-required attributes."
          if (!known_attribute(a.type) && unknown_count < unknown.size() &&
              std::find(unknown.begin(), unknown.begin() + static_cast<std::ptrdiff_t>(unknown_count), a.type) ==
                  unknown.begin() + static_cast<std::ptrdiff_t>(unknown_count)) {
            unknown[unknown_count++] = a.type;
          }
          break;
      }
    }
  }

  change_request_value change{};
  if (change_req) {
    if (auto ec = decode_change_request(*change_req, change)) {
      return build_error(facts, 400, {}, ec, source, received_on, out);
    }
    // RFC 5780 §6.1: "If the Request contains the CHANGE-REQUEST attribute and
    // the server does not have an alternate address and port as described
    // above, the server MUST generate an error response of type 420."
    // A CHANGE-REQUEST with neither flag set asks for nothing that needs an
    // alternate address (RFC 3489 clients send it in their first test), so it
    // is answered normally.
    const bool wants_change = change.change_ip || change.change_port;
    if (wants_change && (!cfg.rfc5780 || received_on == socket_role::single) && unknown_count < unknown.size()) {
      unknown[unknown_count++] = attr::change_request;
    }
  }
  if (unknown_count > 0) {
    return build_error(facts, 420, std::span<const std::uint16_t>(unknown.data(), unknown_count),
                       errc::not_found, source, received_on, out);
  }

  transport_address destination = source;
  if (response_port) {
    // RFC 5780 §6.1: "If the Request contained a PADDING attribute ... If the
    // Request also contains the RESPONSE-PORT attribute the server MUST
    // return an error response of type 400."
    if (padding) return build_error(facts, 400, {}, errc::bad_attribute_value, source, received_on, out);
    std::uint16_t port = 0;
    if (auto ec = decode_response_port(*response_port, port)) {
      return build_error(facts, 400, {}, ec, source, received_on, out);
    }
    // Port 0 names no UDP port: nothing can be sent there, so say so (400)
    // to the request's source rather than answer into the void.
    if (port == 0) return build_error(facts, 400, {}, errc::bad_attribute_value, source, received_on, out);
    // RFC 5780 §7.5: "the Binding Response MUST be transmitted to the source
    // IP address of the Binding Request and the port contained in
    // RESPONSE-PORT" — never to any other host.
    destination.port = port;
  }

  if (cfg.auth_required) {
    // RFC 8489 §9.1.3: "If the message does not contain 1) a
    // MESSAGE-INTEGRITY or a MESSAGE-INTEGRITY-SHA256 attribute and 2) a
    // USERNAME attribute: ... reject the request with an error response.
    // This response MUST use an error code of 400 (Bad Request)."
    if (!username || (!m.integrity() && !m.integrity_sha256())) {
      return build_error(facts, 400, {}, errc::integrity_missing, source, received_on, out);
    }
    // "If the USERNAME does not contain a username value currently valid
    // within the server: ... 401 (Unauthenticated)." and "If the resulting
    // value does not match the contents of the MESSAGE-INTEGRITY ... 401".
    const std::string_view user(reinterpret_cast<const char*>(username->value.data()), username->value.size());
    if (user != cfg.username) {
      return build_error(facts, 401, {}, errc::integrity_mismatch, source, received_on, out);
    }
    if (auto ec = verify_integrity(m, cfg.key)) return build_error(facts, 401, {}, ec, source, received_on, out);
  }

  const socket_role send_from = flip(received_on, change.change_ip, change.change_port);
  const bool discovery = cfg.rfc5780 && received_on != socket_role::single;

  message_writer w(out);
  w.begin(binding_success, m.cookie_and_id());
  if (m.classic()) {
    // RFC 5389 §12.2 (backwards compatibility with RFC 3489): a request
    // without the magic cookie gets MAPPED-ADDRESS, not XOR-MAPPED-ADDRESS,
    // plus SOURCE-ADDRESS and CHANGED-ADDRESS so classic clients can run
    // their NAT tests (RFC 3489 §11.2.3, §11.2.4).
    w.add_address(attr::mapped_address, source);
    if (discovery) {
      w.add_address(attr::source_address, cfg.role_address[static_cast<std::size_t>(send_from)]);
      w.add_address(attr::changed_address, cfg.role_address[static_cast<std::size_t>(flip(received_on, true, true))]);
    }
  } else {
    // XOR-MAPPED-ADDRESS first: some clients read only the first address.
    w.add_xor_address(attr::xor_mapped_address, source);
    if (discovery) {
      // RFC 5780 §6.1: "The server MUST include both MAPPED-ADDRESS and
      // XOR-MAPPED-ADDRESS in its Response."
      w.add_address(attr::mapped_address, source);
      // RESPONSE-ORIGIN: where this response really leaves from.
      w.add_address(attr::response_origin, cfg.role_address[static_cast<std::size_t>(send_from)]);
      // OTHER-ADDRESS (Table 1): the alternate IP and alternate port relative
      // to the address the request arrived at — never the primary itself.
      w.add_address(attr::other_address, cfg.role_address[static_cast<std::size_t>(flip(received_on, true, true))]);
    }
  }
  if (!cfg.software.empty()) w.add_text(attr::software, cfg.software);
  if (padding) {
    // RFC 5780 §7.6: PADDING lets a client test fragmentation of responses.
    // Pad the response up to the request's size, never beyond it, so it
    // cannot amplify.
    const std::size_t mi_size = m.integrity_sha256() ? 36U : 24U;
    const std::size_t tail = (cfg.auth_required ? mi_size : 0U) + (m.has_fingerprint() ? 8U : 0U) + 4U;
    const std::size_t have = w.size() + tail;
    if (!w.error() && request.size() > have) w.add_padding(request.size() - have);
  }
  if (cfg.auth_required) {
    // RFC 8489 §9.1.3: the success response "MUST contain MESSAGE-INTEGRITY"
    // (or -SHA256, matching the request) computed with the same key.
    if (m.integrity_sha256()) {
      w.add_message_integrity_sha256(cfg.key);
    } else {
      w.add_message_integrity(cfg.key);
    }
  }
  // RFC 8489 §7.3: FINGERPRINT in the response when the request carried one.
  if (m.has_fingerprint()) w.add_fingerprint();

  handler_result r;
  if (w.error()) {
    r.what = verdict::drop_malformed;
    r.reason = w.error();
    return r;
  }
  r.what = verdict::success;
  r.size = w.size();
  r.send_from = send_from;
  r.destination = destination;
  return r;
}

}  // namespace pinhole::daemon
