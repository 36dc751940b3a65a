// pinhole-probe --portmap: the gateways' answers to PCP and NAT-PMP.
#pragma once

#include <string>
#include <vector>

#include "pinhole/portmap.hpp"

namespace pinhole::probe {

std::vector<portmap_probe_result> run_portmap(const std::vector<std::string>& gateways);
// "portmap pcp 198.18.0.1:5351 answered external=203.0.113.254:40001 lease=30s time=12ms" per line.
std::string portmap_text(const std::vector<portmap_probe_result>& r);
// Adds "portmap": [{protocol, gateway, answered, mapped, internal, external,
// lease_s, time_ms, error}] to a JSON object (unchanged when !enabled).
std::string with_portmap(const std::string& json, const std::vector<portmap_probe_result>& r, bool enabled);

}  // namespace pinhole::probe
