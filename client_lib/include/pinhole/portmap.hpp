// Port-mapping diagnostics (pinhole-probe --portmap): asks each gateway
// with each protocol (PCP, NAT-PMP, UPnP-IGD) for a short test mapping of a fresh UDP socket,
// reports what it answered, and deletes the mapping again.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "pinhole/export.h"
#include "pinhole/types.hpp"

namespace pinhole {

struct portmap_probe_options {
  std::vector<std::string> gateways;  // "IP[:PORT]"; empty = the default routes' next hops
  std::chrono::milliseconds timeout{250};
  std::uint32_t lifetime = 30;  // seconds asked for the test mapping (UPnP: twice `timeout` for discovery)
};

struct portmap_probe_result {
  mapping_origin protocol = mapping_origin::pcp;
  ip_endpoint gateway;
  bool answered = false;                         // the gateway speaks the protocol (probe answered)
  bool mapped = false;                           // and granted the test mapping
  ip_endpoint internal;                          // the socket mapped
  ip_endpoint external;                          // what the gateway reported
  std::uint32_t lease_s = 0;                     // lifetime granted (UPnP: 0 = permanent)
  std::chrono::milliseconds time_to_mapping{0};  // from the probe's start
  std::string error;                             // why not, if not
};

// Blocks for at most a few timeouts per gateway. Never throws.
PINHOLE_API std::vector<portmap_probe_result> probe_port_mapping(const portmap_probe_options& o) noexcept;

}  // namespace pinhole
