// Binding request construction and response validation.
#include "binding.hpp"

#include <algorithm>
#include <cstring>

#include "address_conv.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/limits.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace pinhole::client {

namespace {

// The largest request build_binding_request writes: header, CHANGE-REQUEST,
// USERNAME, REALM and NONCE at their RFC 8489 limits (stun/limits.hpp),
// MESSAGE-INTEGRITY and FINGERPRINT.
constexpr std::size_t request_capacity = stun::header_size + (4 + 4) +
                                         (4 + stun::padded(stun::limits::username_bytes)) +
                                         2 * (4 + stun::padded(stun::limits::text_bytes)) + (4 + 20) + (4 + 4);

bool txid_matches(std::span<const std::byte> data, const txid_t& id) noexcept {
  return data.size() >= stun::header_size && std::equal(id.begin(), id.end(), data.begin() + 8);
}

// Decodes an address attribute into `out`; false if absent or malformed.
bool read_address(const stun::message_view& m, std::uint16_t type, ip_endpoint& out) noexcept {
  const auto raw = m.find(type);
  if (!raw) return false;
  stun::transport_address a;
  const auto ec = type == stun::attr::xor_mapped_address ? stun::decode_xor_address(*raw, m.cookie_and_id(), a)
                                                         : stun::decode_address(*raw, a);
  if (ec) return false;
  out = from_stun(a);
  return true;
}

}  // namespace

std::error_code build_binding_request(const request_spec& spec, std::vector<std::byte>& out) {
  out.assign(request_capacity, std::byte{0});
  stun::message_writer w(out);
  w.begin(stun::binding_request, std::span<const std::byte, 12>(spec.txid));
  if (spec.change_ip || spec.change_port) w.add_change_request(spec.change_ip, spec.change_port);
  if (spec.auth != nullptr && spec.challenge != nullptr) {
    // RFC 8489 §9.2.3: the retry after a challenge "MUST include" USERNAME,
    // REALM, NONCE and MESSAGE-INTEGRITY, keyed with
    // MD5(username ":" realm ":" password) (§9.2.2).
    w.add_text(stun::attr::username, spec.auth->username);
    w.add_text(stun::attr::realm, spec.challenge->realm);
    w.add_text(stun::attr::nonce, spec.challenge->nonce);
    const auto key = stun::long_term_key(spec.auth->username, spec.challenge->realm, spec.auth->password);
    w.add_message_integrity(key);
  } else if (spec.auth != nullptr) {
    // RFC 8489 §9.1.2: with short-term credentials a request carries
    // USERNAME and MESSAGE-INTEGRITY.
    w.add_text(stun::attr::username, spec.auth->username);
    w.add_message_integrity(stun::short_term_key(spec.auth->password));
  }
  if (spec.fingerprint) w.add_fingerprint();
  if (w.error()) {
    out.clear();
    return w.error();
  }
  out.resize(w.size());
  return {};
}

std::error_code build_binding_indication(const txid_t& txid, std::vector<std::byte>& out) {
  out.assign(64, std::byte{0});
  stun::message_writer w(out);
  w.begin(stun::binding_indication, std::span<const std::byte, 12>(txid)).add_fingerprint();
  if (w.error()) return w.error();
  out.resize(w.size());
  return {};
}

bool is_new_challenge(const binding_result& r, const std::optional<long_term>& used) noexcept {
  if (r.success || !r.challenge) return false;
  if (r.error_code == 438) return true;
  return r.error_code == 401 && !(used && *used == *r.challenge);
}

namespace {

// RFC 8489 §9.1.4: with credentials, a response whose MESSAGE-INTEGRITY is
// missing or wrong is discarded. Error responses without it are still
// accepted as errors (never as a mapping).
bool integrity_ok(const stun::message_view& m, const expectation& expect) {
  if (!expect.auth) return true;
  std::array<std::byte, 16> lt_key{};
  if (expect.challenge)
    lt_key = stun::long_term_key(expect.auth->username, expect.challenge->realm, expect.auth->password);
  const auto ec = stun::verify_integrity(
      m, expect.challenge ? std::span<const std::byte>(lt_key) : stun::short_term_key(expect.auth->password));
  const bool is_error = m.type() == stun::binding_error;
  return !ec || (is_error && ec == stun::errc::integrity_missing);
}

verdict accept_error(const stun::message_view& m, binding_result& r) {
  const auto raw = m.find(stun::attr::error_code);
  stun::error_code_value ev;
  if (!raw || stun::decode_error_code(*raw, ev)) return verdict::rejected;
  r.error_code = ev.code;
  r.reason.assign(ev.reason.begin(), ev.reason.end());
  ip_endpoint alt;
  if (ev.code == 300 && read_address(m, stun::attr::alternate_server, alt)) r.alternate_server = alt;
  if (ev.code == 401 || ev.code == 438) {
    // RFC 8489 §9.2.4: the challenge carries REALM and NONCE (§14.9: REALM
    // under 128 characters; §14.10: NONCE under 128 characters).
    const auto realm = m.find(stun::attr::realm);
    const auto nonce = m.find(stun::attr::nonce);
    std::string_view rv, nv;
    if (realm && nonce && !stun::decode_text(*realm, stun::limits::text_bytes, rv) &&
        !stun::decode_text(*nonce, stun::limits::text_bytes, nv) && !rv.empty() && !nv.empty()) {
      r.challenge = long_term{std::string(rv), std::string(nv)};
    }
  }
  return verdict::accepted;
}

verdict accept_success(const stun::message_view& m, const expectation& expect, binding_result& r) {
  r.success = true;
  // RFC 8489 §14.2: XOR-MAPPED-ADDRESS; RFC 5389-era servers that only send
  // MAPPED-ADDRESS are accepted for backwards compatibility (§14.1).
  if (!read_address(m, stun::attr::xor_mapped_address, r.mapped) &&
      !read_address(m, stun::attr::mapped_address, r.mapped)) {
    return verdict::rejected;
  }
  // A mapped address of the other family than the socket's cannot be ours
  // (an IPv4 socket has no IPv6 reflexive address).
  if (r.mapped.family != expect.socket_family || r.mapped.port == 0 || r.mapped.is_unspecified()) {
    return verdict::rejected;
  }
  ip_endpoint addr;
  if (read_address(m, stun::attr::response_origin, addr)) r.origin = addr;
  if (read_address(m, stun::attr::other_address, addr)) {
    // RFC 5780 §7.4: OTHER-ADDRESS "informs the client of the source IP address
    // and port that would be used if the client requested the 'change IP' and
    // 'change port' behavior". If it names the address we already talk to (or
    // another family), there is no usable alternate.
    const bool same_as_primary = addr == expect.source || (r.origin && addr == *r.origin);
    if (!same_as_primary && addr.family == expect.socket_family && addr.port != 0 && !addr.is_unspecified()) {
      r.other = addr;
    }
  }
  return verdict::accepted;
}

}  // namespace

verdict validate_response(std::span<const std::byte> data, const ip_endpoint& from, const expectation& expect,
                          binding_result& out) noexcept {
  stun::message_view m;
  if (const auto ec = stun::message_view::parse(data, m); ec) {
    // A datagram carrying our transaction ID that does not parse (e.g. a
    // FINGERPRINT with the wrong CRC, RFC 8489 §14.7) is a forged or
    // corrupted reply.
    return txid_matches(data, expect.txid) && stun::looks_like_stun(data) ? verdict::rejected : verdict::not_ours;
  }
  if (m.classic()) return verdict::not_ours;  // we only send RFC 8489 requests
  if (m.type() != stun::binding_success && m.type() != stun::binding_error) return verdict::not_ours;
  // RFC 8489 §6.3: a response is matched to its request by transaction ID;
  // anything else belongs to another transaction (or to nobody).
  const auto id = m.transaction_id();
  if (!std::equal(id.begin(), id.end(), expect.txid.begin())) return verdict::not_ours;
  // A reply over UDP comes from the address the request was sent to (or, for
  // RFC 5780 CHANGE-REQUEST, the changed one the caller expects): anything
  // else is an off-path forgery guessing our transaction ID.
  if (from != expect.source) return verdict::rejected;
  if (!integrity_ok(m, expect)) return verdict::rejected;

  binding_result r;
  r.from = from;
  const verdict v = m.type() == stun::binding_error ? accept_error(m, r) : accept_success(m, expect, r);
  if (v == verdict::accepted) out = std::move(r);
  return v;
}

}  // namespace pinhole::client
