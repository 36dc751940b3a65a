// Rendering a NAT report as text or JSON.
#pragma once

#include <string>
#include <system_error>

#include "pinhole/nat.hpp"

namespace pinhole::probe {

std::string to_text(const nat_report& r, bool behavior);
// Stable keys: local, mapped, server, nat {mapping, filtering, hairpinning,
// port_preservation, classic}, behind_nat.
std::string to_json(const nat_report& r);
std::string error_json(const std::string& server, const std::error_code& ec);

}  // namespace pinhole::probe
