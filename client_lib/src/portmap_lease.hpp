// A mapping the gateway granted (PCP, NAT-PMP or UPnP-IGD): what the port
// manager's slot keeps while it holds the lease.
#pragma once

#include <chrono>
#include <cstdint>

#include "pinhole/types.hpp"

namespace pinhole::client {

struct portmap_lease {
  mapping_origin origin = mapping_origin::stun;
  ip_endpoint gateway;  // PCP/NAT-PMP server; UPnP: the IGD's HTTP endpoint
  ip_endpoint internal;
  ip_endpoint external;
  std::uint32_t lifetime = 0;  // seconds granted (UPnP: 0 = a permanent mapping)
  std::chrono::system_clock::time_point end{};
};

}  // namespace pinhole::client
