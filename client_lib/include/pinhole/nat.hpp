// NAT behaviour discovery (RFC 5780 §4) and the classic RFC 3489 names.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "pinhole/export.h"
#include "pinhole/options.hpp"
#include "pinhole/types.hpp"

namespace pinhole {

// RFC 5780 §4.3 mapping and §4.4 filtering behaviour.
enum class nat_mapping { unknown, endpoint_independent, address_dependent, address_and_port_dependent };
enum class nat_filtering { unknown, endpoint_independent, address_dependent, address_and_port_dependent };
enum class tristate { unknown, yes, no };
// RFC 3489 §10.1 classification.
enum class classic_nat {
  unknown,
  udp_blocked,
  open_internet,
  symmetric_udp_firewall,
  full_cone,
  restricted_cone,
  port_restricted_cone,
  symmetric,
};

PINHOLE_API const char* to_string(nat_mapping v) noexcept;  // "endpoint-independent", ...
PINHOLE_API const char* to_string(nat_filtering v) noexcept;
PINHOLE_API const char* to_string(tristate v) noexcept;     // "yes", "no", "unknown"
PINHOLE_API const char* to_string(classic_nat v) noexcept;  // "full cone", "symmetric", ...

struct nat_report {
  ip_endpoint local;                 // the socket's own address
  ip_endpoint mapped;                // XOR-MAPPED-ADDRESS of test I
  ip_endpoint server;                // the server that answered
  std::optional<ip_endpoint> other;  // OTHER-ADDRESS, if the server has a usable one
  nat_mapping mapping = nat_mapping::unknown;
  nat_filtering filtering = nat_filtering::unknown;
  tristate hairpinning = tristate::unknown;
  tristate port_preservation = tristate::unknown;
  classic_nat classic = classic_nat::unknown;
  bool behind_nat = true;  // false when mapped == local (RFC 5780 §4.3: "no NAT")
};

// RFC 3489 name from RFC 5780 results. `responded` is false when test I got
// no answer at all.
PINHOLE_API classic_nat classify(bool responded, bool behind_nat, nat_mapping m, nat_filtering f) noexcept;

struct discovery_options {
  std::string server = "127.0.0.1:3478";    // host[:port]; names resolved with getaddrinfo
  std::string local = "";                   // ADDR[:PORT] to bind; empty = route source address
  bool behavior = true;                     // run the RFC 5780 mapping/filtering/hairpin tests
  std::chrono::milliseconds timeout{3000};  // per test (a test that expects silence waits this long)
  transaction_options transaction{};
  std::optional<credentials> auth;
};

// Runs the tests on the calling thread with its own sockets (blocking, bounded
// by the timeouts). Test I failing gives errc::timeout / server_unreachable /
// server_error with `out.classic = udp_blocked` where that applies. Without a
// usable OTHER-ADDRESS the behaviour fields stay unknown and the call still
// succeeds (`out.other` is empty).
PINHOLE_API std::error_code discover_nat(const discovery_options& opts, nat_report& out) noexcept;

}  // namespace pinhole
