// Test seam, not installed: port_manager::create with a DNS resolver of the
// caller's choosing (tests script SRV/A/AAAA answers with fake_resolver).
// port_manager::create is this with client::system_resolver.
#pragma once

#include <memory>
#include <system_error>

#include "pinhole/options.hpp"
#include "pinhole/port_manager.hpp"

namespace pinhole::client {

class dns_resolver;

std::unique_ptr<port_manager> create_port_manager(options opts, std::shared_ptr<dns_resolver> dns,
                                                  std::error_code& ec) noexcept;

}  // namespace pinhole::client
