// Default gateways of this host, read from the kernel's routing tables
// (/proc/net/route, /proc/net/ipv6_route): the PCP / NAT-PMP servers to
// ask (RFC 6887 §8.1: "the PCP client ... uses the default router" when it
// is not configured otherwise; RFC 6886 §3: the client sends to "the
// configured gateway address"). The parsers take the file text, so they
// are tested without the host's tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pinhole/types.hpp"

namespace pinhole::client {

// Next hops of the default routes (destination 0/0 with a gateway), lowest
// metric first, duplicates removed. IPv6 link-local next hops are left out:
// ip_endpoint carries no scope, so they could not be addressed.
std::vector<ip_endpoint> parse_ipv4_routes(std::string_view proc_net_route);
std::vector<ip_endpoint> parse_ipv6_routes(std::string_view proc_net_ipv6_route);
// Both families from /proc (IPv4 first); empty when the files are missing.
std::vector<ip_endpoint> default_gateways();

}  // namespace pinhole::client
