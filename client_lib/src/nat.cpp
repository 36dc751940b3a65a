// Names of NAT behaviours and the RFC 3489 classification derived from the
// RFC 5780 results.
#include "pinhole/nat.hpp"

namespace pinhole {

const char* to_string(nat_mapping v) noexcept {
  switch (v) {
    case nat_mapping::unknown: return "unknown";
    case nat_mapping::endpoint_independent: return "endpoint-independent";
    case nat_mapping::address_dependent: return "address-dependent";
    case nat_mapping::address_and_port_dependent: return "address-and-port-dependent";
  }
  return "unknown";
}

const char* to_string(nat_filtering v) noexcept {
  switch (v) {
    case nat_filtering::unknown: return "unknown";
    case nat_filtering::endpoint_independent: return "endpoint-independent";
    case nat_filtering::address_dependent: return "address-dependent";
    case nat_filtering::address_and_port_dependent: return "address-and-port-dependent";
  }
  return "unknown";
}

const char* to_string(tristate v) noexcept {
  switch (v) {
    case tristate::unknown: return "unknown";
    case tristate::yes: return "yes";
    case tristate::no: return "no";
  }
  return "unknown";
}

const char* to_string(classic_nat v) noexcept {
  switch (v) {
    case classic_nat::unknown: return "unknown";
    case classic_nat::udp_blocked: return "UDP blocked";
    case classic_nat::open_internet: return "open internet";
    case classic_nat::symmetric_udp_firewall: return "symmetric UDP firewall";
    case classic_nat::full_cone: return "full cone";
    case classic_nat::restricted_cone: return "restricted cone";
    case classic_nat::port_restricted_cone: return "port-restricted cone";
    case classic_nat::symmetric: return "symmetric";
  }
  return "unknown";
}

classic_nat classify(bool responded, bool behind_nat, nat_mapping m, nat_filtering f) noexcept {
  // RFC 3489 §10.1: no response to test I means UDP is blocked.
  if (!responded) return classic_nat::udp_blocked;
  if (!behind_nat) {
    // RFC 3489 §10.1: not behind a NAT, test II (answer from the other IP
    // and port) decides between open Internet (answered) and a symmetric
    // UDP firewall (no answer).
    if (f == nat_filtering::endpoint_independent) return classic_nat::open_internet;
    if (f == nat_filtering::unknown) return classic_nat::unknown;
    return classic_nat::symmetric_udp_firewall;
  }
  if (m == nat_mapping::unknown) return classic_nat::unknown;
  // RFC 3489 §10.1: a different mapping towards the changed address means
  // a symmetric NAT; otherwise filtering names the cone.
  if (m != nat_mapping::endpoint_independent) return classic_nat::symmetric;
  switch (f) {
    case nat_filtering::endpoint_independent: return classic_nat::full_cone;
    case nat_filtering::address_dependent: return classic_nat::restricted_cone;
    case nat_filtering::address_and_port_dependent: return classic_nat::port_restricted_cone;
    case nat_filtering::unknown: return classic_nat::unknown;
  }
  return classic_nat::unknown;
}

}  // namespace pinhole
