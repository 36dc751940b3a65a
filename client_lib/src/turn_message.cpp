// TURN request construction and reply validation.
#include "turn_message.hpp"

#include <algorithm>
#include <array>

#include "address_conv.hpp"
#include "pinhole/errors.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/turn.hpp"
#include "stun/writer.hpp"

namespace pinhole::client {

namespace {

constexpr std::size_t turn_request_capacity = 768;

bool read_xor(const stun::message_view& m, std::uint16_t type, ip_endpoint& out) noexcept {
  const auto raw = m.find(type);
  stun::transport_address a;
  if (!raw || stun::decode_xor_address(*raw, m.cookie_and_id(), a)) return false;
  out = from_stun(a);
  return true;
}

bool usable(const ip_endpoint& e, ip_family fam) noexcept {
  return e.family == fam && e.port != 0 && !e.is_unspecified();
}

// Integrity of a reply (RFC 8489 §9.2.5 via RFC 8656 §7.3): once a long-term
// challenge is in use, a success response without a valid
// MESSAGE-INTEGRITY is discarded; an error response without one is still
// taken as an error (a 401/438 carries none), never as a success.
bool integrity_ok(const stun::message_view& m, const turn_expectation& e) noexcept {
  if (!e.auth || !e.challenge) return true;
  const auto key = stun::long_term_key(e.auth->username, e.challenge->realm, e.auth->password);
  const auto ec = stun::verify_integrity(m, key);
  if (!ec) return true;
  return m.cls() == stun::msg_class::error && ec == stun::errc::integrity_missing;
}

void read_error(const stun::message_view& m, turn_reply& r) {
  r.reason.clear();
  const auto realm = m.find(stun::attr::realm);
  const auto nonce = m.find(stun::attr::nonce);
  std::string_view rv, nv;
  // RFC 8489 §14.9/§14.10: REALM and NONCE under 128 characters (763 bytes).
  if ((r.error_code == 401 || r.error_code == 438) && realm && nonce && !stun::decode_text(*realm, 763, rv) &&
      !stun::decode_text(*nonce, 763, nv) && !rv.empty() && !nv.empty()) {
    r.challenge = long_term{std::string(rv), std::string(nv)};
  }
}

}  // namespace

std::error_code build_turn_request(const turn_request& r, std::vector<std::byte>& out) {
  out.assign(turn_request_capacity, std::byte{0});
  stun::message_writer w(out);
  w.begin(stun::make_type(r.method, stun::msg_class::request), std::span<const std::byte, 12>(r.txid));
  if (r.method == stun::method::allocate) {
    // RFC 8656 §7.1: "The client MUST include a REQUESTED-TRANSPORT attribute
    // in the request."
    stun::add_requested_transport(w, stun::transport_udp);
    if (r.relay_family == ip_family::v6) {
      // §18.10 REQUESTED-ADDRESS-FAMILY: 0x02 for IPv6 (IPv4 is the default).
      const std::array<std::byte, 4> fam{std::byte{0x02}, std::byte{0}, std::byte{0}, std::byte{0}};
      w.add_raw(stun::attr::requested_address_family, fam);
    }
  }
  if (r.lifetime) w.add_u32(stun::attr::lifetime, *r.lifetime);
  if (r.method == stun::method::channel_bind) stun::add_channel_number(w, r.channel);
  if (r.peer) w.add_xor_address(stun::attr::xor_peer_address, to_stun(*r.peer));
  if (r.auth != nullptr && r.challenge != nullptr) {
    // RFC 8489 §9.2.3 (RFC 8656 §7.1 uses the long-term mechanism).
    w.add_text(stun::attr::username, r.auth->username);
    w.add_text(stun::attr::realm, r.challenge->realm);
    w.add_text(stun::attr::nonce, r.challenge->nonce);
    w.add_message_integrity(stun::long_term_key(r.auth->username, r.challenge->realm, r.auth->password));
  }
  if (r.fingerprint) w.add_fingerprint();
  if (w.error()) {
    out.clear();
    return w.error();
  }
  out.resize(w.size());
  return {};
}

verdict validate_turn_response(std::span<const std::byte> data, const ip_endpoint& from, const turn_expectation& e,
                               turn_reply& out) noexcept {
  stun::message_view m;
  if (stun::message_view::parse(data, m) || m.classic()) return verdict::not_ours;
  const auto success = stun::make_type(e.method, stun::msg_class::success);
  const auto error = stun::make_type(e.method, stun::msg_class::error);
  if (m.type() != success && m.type() != error) return verdict::not_ours;
  const auto id = m.transaction_id();
  if (!std::equal(id.begin(), id.end(), e.txid.begin())) return verdict::not_ours;
  if (from != e.server) return verdict::rejected;  // an off-path forgery
  if (!integrity_ok(m, e)) return verdict::rejected;
  turn_reply r;
  if (m.type() == error) {
    const auto raw = m.find(stun::attr::error_code);
    stun::error_code_value ev;
    if (!raw || stun::decode_error_code(*raw, ev)) return verdict::rejected;
    r.error_code = ev.code;
    read_error(m, r);
    r.reason.assign(ev.reason.begin(), ev.reason.end());
    out = std::move(r);
    return verdict::accepted;
  }
  r.success = true;
  if (const auto lt = m.find(stun::attr::lifetime)) {
    if (stun::decode_lifetime(*lt, r.lifetime)) return verdict::rejected;
  }
  if (e.method == stun::method::allocate) {
    // RFC 8656 §7.3: the success response contains XOR-RELAYED-ADDRESS and
    // LIFETIME. A relayed address of another family than asked for, port 0
    // or the unspecified address is no usable relay: never a mapping.
    if (!read_xor(m, stun::attr::xor_relayed_address, r.relayed) || !usable(r.relayed, e.relay_family)) {
      return verdict::rejected;
    }
    if (!m.find(stun::attr::lifetime) || r.lifetime == 0) return verdict::rejected;
    ip_endpoint mapped;
    if (read_xor(m, stun::attr::xor_mapped_address, mapped)) r.mapped = mapped;
  }
  out = std::move(r);
  return verdict::accepted;
}

std::error_code turn_error(std::uint16_t code) noexcept {
  switch (code) {
    case 437: return make_error_code(errc::allocation_mismatch);
    case 401:  // a 401 after our credentials: the password was refused
    case 441: return make_error_code(errc::wrong_credentials);
    case 442: return make_error_code(errc::unsupported_transport);
    case 486: return make_error_code(errc::allocation_quota_reached);
    case 508: return make_error_code(errc::insufficient_capacity);
    default: return make_error_code(errc::server_error);
  }
}

std::size_t encode_send_indication(const txid_t& txid, const ip_endpoint& peer, std::span<const std::byte> data,
                                   std::span<std::byte> out) noexcept {
  // RFC 8656 §11.1: "The client MUST include XOR-PEER-ADDRESS and DATA".
  stun::message_writer w(out);
  w.begin(stun::send_indication, std::span<const std::byte, 12>(txid));
  w.add_xor_address(stun::attr::xor_peer_address, to_stun(peer));
  stun::add_data(w, data);
  return w.size();
}

bool decode_data_indication(std::span<const std::byte> data, ip_endpoint& peer,
                            std::span<const std::byte>& payload) noexcept {
  stun::message_view m;
  if (stun::message_view::parse(data, m) || m.classic() || m.type() != stun::data_indication) return false;
  // RFC 8656 §11.4: "The client should also check that the XOR-PEER-ADDRESS
  // attribute value contains an IP address with which the client believes
  // there is an active permission and discard the Data indication
  // otherwise." (the caller checks the permission); one without DATA
  // carries nothing to deliver.
  const auto d = m.find(stun::attr::data);
  if (!d || !read_xor(m, stun::attr::xor_peer_address, peer) || peer.port == 0) return false;
  payload = d->value;
  return true;
}

}  // namespace pinhole::client
