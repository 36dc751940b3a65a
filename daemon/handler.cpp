#include "handler.hpp"

#include <algorithm>

#include "stun/attributes.hpp"
#include "stun/constants.hpp"
#include "stun/errors.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

// handle_request() is a dispatcher over small named steps (after libjuice's
// server_dispatch_stun handing off to server_answer_stun_binding and
// server_answer_stun_error): collect the attributes, authenticate, check
// CHANGE-REQUEST, choose the destination, and build the answer. Every answer
// is built by one `responder`, which knows the request's identity and where
// the answer goes; a step that refuses the request returns a `refusal`.

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

bool header_level_error(std::error_code ec) noexcept {
  // Errors that mean "this datagram is not a STUN message we can answer":
  // RFC 8489 §6.3: a message that fails the basic checks "is discarded".
  return ec == errc::truncated || ec == errc::not_stun || ec == errc::bad_length || ec == errc::bad_fingerprint;
}

// A step's verdict on the request: the STUN error code to answer with and
// why (code 0: the request passed the step).
struct refusal {
  std::uint16_t code = 0;
  std::error_code why{};
  explicit operator bool() const noexcept { return code != 0; }
};

// What a Binding request asks for: the first attribute of each kind
// pinholed acts on, and the comprehension-required types it does not know.
struct request_attributes {
  std::optional<raw_attribute> change_request;
  std::optional<raw_attribute> response_port;
  std::optional<raw_attribute> padding;
  std::optional<raw_attribute> username;
  // Only the first unknown_count entries are ever read: left uninitialised,
  // the common request (no attribute but FINGERPRINT) pays nothing for them.
  std::array<std::uint16_t, max_unknown_listed> unknown;
  std::size_t unknown_count = 0;

  void add_unknown(std::uint16_t type) noexcept {
    const auto end = unknown.begin() + static_cast<std::ptrdiff_t>(unknown_count);
    if (unknown_count < unknown.size() && std::find(unknown.begin(), end, type) == end) unknown[unknown_count++] = type;
  }
  std::span<const std::uint16_t> unknown_list() const noexcept { return {unknown.data(), unknown_count}; }
};

// Where a success response goes: the socket it leaves from and the address
// it is sent to.
struct route {
  socket_role from = socket_role::single;
  transport_address to{};
};

// Builds every answer to one request, success or error: the request's
// cookie + transaction ID and FINGERPRINT, the source the answer goes back
// to, the socket it arrived on, and, once the request is authenticated, the
// key that signs every answer.
class responder {
 public:
  responder(std::span<const std::byte, 16> cookie_and_id, bool fingerprint, const transport_address& source,
            socket_role received_on, std::span<std::byte> out) noexcept
      : cookie_and_id_(cookie_and_id),
        fingerprint_(fingerprint),
        source_(source),
        received_on_(received_on),
        out_(out) {}

  void sign_with(std::span<const std::byte> key, bool sha256) noexcept {
    signing_ = true;
    key_ = key;
    sha256_ = sha256;
  }

  handler_result error(const refusal& no, std::span<const std::uint16_t> unknown = {}) const noexcept;
  handler_result success(const message_view& m, const handler_config& cfg, bool padded, const route& to) const noexcept;

 private:
  void add_addresses(message_writer& w, bool classic, const handler_config& cfg, socket_role send_from) const noexcept;
  void add_padding(message_writer& w, std::size_t request_size) const noexcept;
  void add_trailer(message_writer& w) const noexcept;
  static handler_result finish(const message_writer& w, verdict what) noexcept;

  std::span<const std::byte, 16> cookie_and_id_;
  bool fingerprint_;
  const transport_address& source_;
  socket_role received_on_;
  std::span<std::byte> out_;
  bool signing_ = false;
  std::span<const std::byte> key_{};
  bool sha256_ = false;
};

handler_result responder::error(const refusal& no, std::span<const std::uint16_t> unknown) const noexcept {
  message_writer w(out_);
  w.begin(binding_error, cookie_and_id_);
  w.add_error_code(no.code, reason_phrase(no.code));
  // RFC 8489 §14.9: UNKNOWN-ATTRIBUTES "is present only in an error response
  // when the response code in the ERROR-CODE attribute is 420".
  if (no.code == 420) w.add_unknown_attributes(unknown);
  add_trailer(w);
  handler_result r = finish(w, verdict::error_response);
  if (r.answered()) {
    r.error_code = no.code;
    r.send_from = received_on_;
    r.destination = source_;
    r.reason = no.why;
  }
  return r;
}

handler_result responder::success(const message_view& m, const handler_config& cfg, bool padded,
                                  const route& to) const noexcept {
  message_writer w(out_);
  w.begin(binding_success, cookie_and_id_);
  add_addresses(w, m.classic(), cfg, to.from);
  if (!cfg.software.empty()) w.add_text(attr::software, cfg.software);
  if (padded) add_padding(w, m.size());
  add_trailer(w);
  handler_result r = finish(w, verdict::success);
  if (r.answered()) {
    r.send_from = to.from;
    r.destination = to.to;
  }
  return r;
}

void responder::add_addresses(message_writer& w, bool classic, const handler_config& cfg,
                              socket_role send_from) const noexcept {
  const bool discovery = cfg.rfc5780 && received_on_ != socket_role::single;
  const auto& origin = cfg.role_address[static_cast<std::size_t>(send_from)];
  const auto& other = cfg.role_address[static_cast<std::size_t>(flip(received_on_, true, true))];
  if (classic) {
    // RFC 5389 §12.2 (backwards compatibility with RFC 3489): a request
    // without the magic cookie gets MAPPED-ADDRESS, not XOR-MAPPED-ADDRESS,
    // plus SOURCE-ADDRESS and CHANGED-ADDRESS so classic clients can run
    // their NAT tests (RFC 3489 §11.2.3, §11.2.4).
    w.add_address(attr::mapped_address, source_);
    if (discovery) {
      w.add_address(attr::source_address, origin);
      w.add_address(attr::changed_address, other);
    }
    return;
  }
  // XOR-MAPPED-ADDRESS first: some clients read only the first address.
  w.add_xor_address(attr::xor_mapped_address, source_);
  if (discovery) {
    // RFC 5780 §6.1: "The server MUST include both MAPPED-ADDRESS and
    // XOR-MAPPED-ADDRESS in its Response."
    w.add_address(attr::mapped_address, source_);
    // RESPONSE-ORIGIN: where this response really leaves from.
    w.add_address(attr::response_origin, origin);
    // OTHER-ADDRESS (Table 1): the alternate IP and alternate port relative
    // to the address the request arrived at — never the primary itself.
    w.add_address(attr::other_address, other);
  }
}

void responder::add_padding(message_writer& w, std::size_t request_size) const noexcept {
  // RFC 5780 §7.6: PADDING lets a client test fragmentation of responses.
  // Pad the response up to the request's size, never beyond it, so it
  // cannot amplify.
  const std::size_t mi_size = sha256_ ? 36U : 24U;
  const std::size_t tail = (signing_ ? mi_size : 0U) + (fingerprint_ ? 8U : 0U) + 4U;
  const std::size_t have = w.size() + tail;
  if (!w.error() && request_size > have) w.add_padding(request_size - have);
}

void responder::add_trailer(message_writer& w) const noexcept {
  // RFC 8489 §9.1.3: "Any response generated by a server to a request that
  // contains only a MESSAGE-INTEGRITY attribute MUST include the
  // MESSAGE-INTEGRITY attribute, computed using the password utilized to
  // authenticate the request" (-SHA256 likewise): the success response and
  // every error response after authentication.
  if (signing_) {
    if (sha256_) {
      w.add_message_integrity_sha256(key_);
    } else {
      w.add_message_integrity(key_);
    }
  }
  // RFC 8489 §7.3: FINGERPRINT in the response when the request carried one.
  if (fingerprint_) w.add_fingerprint();
}

// The answer `w` holds as `what`, or a drop if it did not fit in the output.
handler_result responder::finish(const message_writer& w, verdict what) noexcept {
  handler_result r;
  if (w.error()) {
    r.reason = w.error();
  } else {
    r.what = what;
    r.size = w.size();
  }
  return r;
}

// A datagram message_view::parse() rejected: dropped, unless its header is
// sound and it is a request.
handler_result answer_unparsed(std::span<const std::byte> request, std::error_code ec, const transport_address& source,
                               socket_role received_on, std::span<std::byte> out) noexcept {
  handler_result drop;
  drop.reason = ec;
  if (header_level_error(ec)) return drop;
  // The header is sound but the attributes are not. Only requests get an
  // answer: RFC 8489 §6.3.1 "If the request is malformed ... the server
  // MUST ... generate an error response with an error code of 400".
  if (type_class(load_u16(request.data())) != msg_class::request) return drop;
  return responder(request.subspan<4, 16>(), false, source, received_on, out).error({400, ec});
}

// Step 1: one pass over the processed attributes, collecting what the
// response needs and every comprehension-required attribute we do not
// understand.
request_attributes collect_attributes(const message_view& m) noexcept {
  request_attributes a;
  // Most Binding requests carry no attribute but FINGERPRINT (validated by
  // parse()): skip the attribute walk for them altogether.
  if (m.size() == header_size + (m.has_fingerprint() ? 8U : 0U)) return a;
  for (const auto& at : m) {
    switch (at.type) {
      case attr::change_request:
        if (!a.change_request) a.change_request = at;
        break;
      case attr::response_port:
        if (!a.response_port) a.response_port = at;
        break;
      case attr::padding:
        if (!a.padding) a.padding = at;
        break;
      case attr::username:
        if (!a.username) a.username = at;
        break;
      default:
        // RFC 8489 §6.3.1: "If the request contains one or more unknown
        // comprehension-required attributes, the server replies with an error
        // response with an error code of 420 (Unknown Attribute) and includes
        // an UNKNOWN-ATTRIBUTES attribute in the response that lists the
        // unknown comprehension-required attributes."
        if (!known_attribute(at.type)) a.add_unknown(at.type);
        break;
    }
  }
  return a;
}

// Step 2: short-term credentials (only when the configuration requires them).
refusal authenticate(const message_view& m, const request_attributes& a, const handler_config& cfg) noexcept {
  // RFC 8489 §9.1.3: "If the message does not contain 1) a
  // MESSAGE-INTEGRITY or a MESSAGE-INTEGRITY-SHA256 attribute and 2) a
  // USERNAME attribute: ... reject the request with an error response.
  // This response MUST use an error code of 400 (Bad Request)."
  if (!a.username || (!m.integrity() && !m.integrity_sha256())) return {400, errc::integrity_missing};
  // "If the USERNAME does not contain a username value currently valid
  // within the server: ... 401 (Unauthenticated)." and "If the resulting
  // value does not match the contents of the MESSAGE-INTEGRITY ... 401".
  const std::string_view user(reinterpret_cast<const char*>(a.username->value.data()), a.username->value.size());
  if (user != cfg.username) return {401, errc::integrity_mismatch};
  if (auto ec = verify_integrity(m, cfg.key)) return {401, ec};
  return {};
}

// Step 3: CHANGE-REQUEST. A change this server cannot make joins the
// unknown attributes (answered with 420 by the caller).
refusal check_change_request(request_attributes& a, const handler_config& cfg, socket_role received_on,
                             change_request_value& change) noexcept {
  if (!a.change_request) return {};
  if (auto ec = decode_change_request(*a.change_request, change)) return {400, ec};
  // RFC 5780 §6.1: "If the Request contains the CHANGE-REQUEST attribute and
  // the server does not have an alternate address and port as described
  // above, the server MUST generate an error response of type 420."
  // A CHANGE-REQUEST with neither flag set asks for nothing that needs an
  // alternate address (RFC 3489 clients send it in their first test), so it
  // is answered normally.
  const bool wants_change = change.change_ip || change.change_port;
  if (wants_change && (!cfg.rfc5780 || received_on == socket_role::single)) a.add_unknown(attr::change_request);
  return {};
}

// Step 4: the destination: the request's source, or its IP and the port in
// RESPONSE-PORT.
refusal choose_destination(const request_attributes& a, transport_address& destination) noexcept {
  if (!a.response_port) return {};
  // RFC 5780 §6.1: "If the Request contained a PADDING attribute ... If the
  // Request also contains the RESPONSE-PORT attribute the server MUST
  // return an error response of type 400."
  if (a.padding) return {400, errc::bad_attribute_value};
  std::uint16_t port = 0;
  if (auto ec = decode_response_port(*a.response_port, port)) return {400, ec};
  // Port 0 names no UDP port: nothing can be sent there, so say so (400)
  // to the request's source rather than answer into the void.
  if (port == 0) return {400, errc::bad_attribute_value};
  // RFC 5780 §7.5: "the Binding Response MUST be transmitted to the source
  // IP address of the Binding Request and the port contained in
  // RESPONSE-PORT" — never to any other host.
  // Honoured with or without RFC 5780 mode (an alternate address), by
  // decision: RFC 5780 §5 makes only OTHER-ADDRESS and CHANGE-REQUEST
  // depend on a second address, "to allow the use of PADDING and
  // RESPONSE-PORT in applications where servers do not have multiple IP
  // addresses", and §10 says "RESPONSE-ORIGIN and RESPONSE-PORT do not
  // provide any additional attacks" (a spoofer picks the port anyway; the
  // answer still goes to the request's source IP and is no larger).
  destination.port = port;
  return {};
}

}  // namespace

handler_result handle_request(std::span<const std::byte> request, const transport_address& source,
                              socket_role received_on, const handler_config& cfg, std::span<std::byte> out) noexcept {
  message_view m;
  if (auto ec = message_view::parse(request, m)) return answer_unparsed(request, ec, source, received_on, out);
  if (m.cls() != msg_class::request) {
    handler_result drop;
    drop.what = m.cls() == msg_class::indication ? verdict::drop_indication : verdict::drop_response;
    return drop;
  }
  responder reply(m.cookie_and_id(), m.has_fingerprint(), source, received_on, out);
  if (m.method_bits() != static_cast<std::uint16_t>(method::binding)) {
    return reply.error({400, errc::bad_attribute_value});
  }
  request_attributes attrs = collect_attributes(m);

  // Authentication before anything the attributes ask for. RFC 8489 §6.3:
  // "The STUN agent then does any checks that are required by a
  // authentication mechanism that the usage has specified (see Section 9).
  // Once the authentication checks are done, the STUN agent checks for
  // unknown attributes and known-but-unexpected attributes in the message."
  // RFC 5780 §6.1: "After performing all authentication and verification
  // steps, the server begins processing specific to this Usage".
  if (cfg.auth_required) {
    if (const refusal no = authenticate(m, attrs, cfg)) return reply.error(no);
    reply.sign_with(cfg.key, m.integrity_sha256().has_value());
  }
  change_request_value change{};
  if (const refusal no = check_change_request(attrs, cfg, received_on, change)) return reply.error(no);
  if (attrs.unknown_count > 0) return reply.error({420, errc::not_found}, attrs.unknown_list());
  route to{flip(received_on, change.change_ip, change.change_port), source};
  if (const refusal no = choose_destination(attrs, to.to)) return reply.error(no);
  return reply.success(m, cfg, attrs.padding.has_value(), to);
}

}  // namespace pinhole::daemon
