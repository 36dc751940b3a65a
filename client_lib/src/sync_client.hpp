// A blocking STUN client on one socket, driven by poll(2) and the same pure
// transaction state machine as the port manager. Used by NAT discovery and
// the probe, which run on the caller's thread.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <system_error>

#include "binding.hpp"
#include "pinhole/options.hpp"

namespace pinhole::client {

struct sync_request {
  ip_endpoint to;               // where the request goes
  ip_endpoint expected_source;  // where the answer must come from (differs for CHANGE-REQUEST)
  bool change_ip = false;
  bool change_port = false;
  transaction_options tx{};
  std::optional<credentials> auth;
  // In/out, with auth: the server's long-term challenge (RFC 8489 §9.2) to
  // answer at once, updated when the server issues a new one. May be null.
  long_term* challenge = nullptr;
  std::chrono::milliseconds cap{3000};  // overall limit, whatever the RFC schedule says
};

// One Binding transaction (plus the retries a long-term challenge asks for). Success: `out` is a success response.
// Errors: timeout (bad_response if only invalid replies came), server_unreachable, server_error / integrity_failure
// (error response; `out` has the code).
std::error_code sync_binding(int fd, ip_family fam, const sync_request& req, binding_result& out) noexcept;

// Waits up to `timeout` for a Binding request carrying `txid` on `fd`
// (RFC 5780 §4.5 hairpinning test). Other datagrams are discarded.
bool wait_for_request(int fd, const txid_t& txid, std::chrono::milliseconds timeout) noexcept;

}  // namespace pinhole::client
