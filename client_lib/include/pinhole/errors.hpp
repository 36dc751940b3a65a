// Error codes of libpinhole. Every API call reports failure as a
// std::error_code of category pinhole::client_category(); nothing throws
// across the API.
#pragma once

#include <system_error>

#include "pinhole/export.h"

namespace pinhole {

// Values are stable: the C ABI (pinhole.h) mirrors them as pinhole_errc.
enum class errc {
  ok = 0,
  invalid_argument = 1,                // malformed address, unknown port type, bad option
  timeout = 2,                         // no answer within the call budget or the transaction timeout
  server_unreachable = 3,              // ICMP port/host unreachable from the STUN server
  bad_response = 4,                    // a reply failed validation (never reported as a mapping)
  server_error = 5,                    // the server answered with an error response (4xx/5xx)
  integrity_failure = 6,               // MESSAGE-INTEGRITY missing or wrong while credentials are set
  unknown_mapping = 7,                 // ReleaseMapping/UpdateRemoteAddress on a mapping we do not hold
  not_listening = 8,                   // StopListen without a matching StartListen
  no_port_available = 9,               // every port of the configured range is taken
  address_in_use = 10,                 // the requested internal address:port is bound elsewhere
  family_not_supported = 11,           // e.g. an IPv6 remote while only IPv4 servers are configured
  resolve_failed = 12,                 // DNS (A/AAAA/SRV) resolution failed
  no_servers = 13,                     // no usable STUN server configured
  socket_error = 14,                   // socket(), bind() or send() failed
  shutting_down = 15,                  // the port manager is being destroyed
  would_deadlock = 16,                 // a blocking call made from the library's own event thread
  no_alternate_server = 17,            // RFC 5780 tests need OTHER-ADDRESS, the server sent none
  destination_dependent_mapping = 18,  // the NAT maps this socket differently per destination (symmetric NAT)
  no_server_resolved = 19,             // no configured server name has resolved yet (still trying in the background)
  out_of_memory = 100,                 // an allocation failed (PINHOLE_E_OUT_OF_MEMORY)
  // TURN allocations (RFC 8656 §19 error codes).
  allocation_mismatch = 20,       // 437: no such allocation on the server (expired or lost)
  wrong_credentials = 21,         // 441 Wrong Credentials, or the password was refused (401 again)
  unsupported_transport = 22,     // 442
  allocation_quota_reached = 23,  // 486
  insufficient_capacity = 24,     // 508
};

PINHOLE_API const std::error_category& client_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), client_category()}; }

}  // namespace pinhole

template <>
struct std::is_error_code_enum<pinhole::errc> : std::true_type {};
