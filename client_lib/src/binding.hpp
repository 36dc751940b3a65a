// Binding requests as libpinhole sends them, and validation of the replies.
// Pure functions over bytes: the security checks that keep a bogus reply
// from ever becoming a reported mapping live here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "pinhole/options.hpp"
#include "pinhole/types.hpp"

namespace pinhole::client {

using txid_t = std::array<std::byte, 12>;

// The server's long-term challenge (RFC 8489 §9.2): the REALM and NONCE of
// its 401 or 438 answer. With it, `auth` is used as a long-term credential.
struct long_term {
  std::string realm;
  std::string nonce;
  friend bool operator==(const long_term&, const long_term&) = default;
};

struct request_spec {
  txid_t txid{};
  bool change_ip = false;    // RFC 5780 CHANGE-REQUEST "A"
  bool change_port = false;  // RFC 5780 CHANGE-REQUEST "B"
  const credentials* auth = nullptr;
  const long_term* challenge = nullptr;  // with auth: long-term instead of short-term
  bool fingerprint = true;
};

std::error_code build_binding_request(const request_spec& spec, std::vector<std::byte>& out);
// A Binding indication: needs no answer (RFC 8489 §6.1), used as the punch /
// keep-alive packet towards a remote peer.
std::error_code build_binding_indication(const txid_t& txid, std::vector<std::byte>& out);

// What a reply must match to be accepted.
struct expectation {
  txid_t txid{};
  ip_endpoint source;  // where the reply must come from
  ip_family socket_family = ip_family::v4;
  std::optional<credentials> auth;
  std::optional<long_term> challenge;  // the key is then the long-term one
};

struct binding_result {
  bool success = false;
  ip_endpoint from;
  ip_endpoint mapped;                 // success: XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS)
  std::optional<ip_endpoint> other;   // OTHER-ADDRESS, only if it really is another address
  std::optional<ip_endpoint> origin;  // RESPONSE-ORIGIN
  std::uint16_t error_code = 0;       // error response: 300..699
  std::string reason;
  std::optional<ip_endpoint> alternate_server;  // 300 Try Alternate
  std::optional<long_term> challenge;           // 401 / 438 with REALM and NONCE
};

enum class verdict {
  not_ours,  // not STUN, not a Binding response, or another transaction ID
  rejected,  // our transaction ID but invalid: wrong source, bad integrity/fingerprint, bad address
  accepted,
};

verdict validate_response(std::span<const std::byte> data, const ip_endpoint& from, const expectation& expect,
                          binding_result& out) noexcept;

// RFC 8489 §9.2.5, for a request sent with credentials and the long-term
// challenge `used` (none: the first, short-term try). True if reply `r`
// asks to try again with r.challenge: a 401 with a REALM and NONCE other
// than `used` (the same ones again mean the credential is wrong), or a 438
// Stale Nonce with its new NONCE.
bool is_new_challenge(const binding_result& r, const std::optional<long_term>& used) noexcept;
// At most this many retries answer challenges for one request: a first 401,
// then a 438.
inline constexpr int max_challenge_retries = 2;

}  // namespace pinhole::client
