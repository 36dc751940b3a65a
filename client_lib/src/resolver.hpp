// DNS for STUN server names: SRV (RFC 2782, "_stun._udp" per RFC 8489 §8.1)
// through libresolv's res_search, A/AAAA through getaddrinfo. The resolver is
// an interface so SRV handling is testable without a network.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pinhole/types.hpp"

namespace pinhole::client {

struct srv_record {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot
  friend bool operator==(const srv_record&, const srv_record&) = default;
};

// Parses the SRV answers of a DNS response in wire format (RFC 1035 §4.1,
// with name compression). Other record types are skipped.
std::error_code parse_srv_response(std::span<const std::uint8_t> message, std::vector<srv_record>& out);

// RFC 2782 order: lowest priority first; within a priority, weighted random
// selection. `pick(n)` returns a uniform value in [0, n).
std::vector<srv_record> order_srv(std::vector<srv_record> records,
                                  const std::function<std::uint32_t(std::uint32_t)>& pick);

class dns_resolver {
 public:
  virtual ~dns_resolver() = default;
  virtual std::error_code srv(const std::string& name, std::vector<srv_record>& out) = 0;
  virtual std::error_code host(const std::string& name, std::uint16_t port, std::vector<ip_endpoint>& out) = 0;

 protected:
  dns_resolver() = default;
  dns_resolver(const dns_resolver&) = default;
  dns_resolver& operator=(const dns_resolver&) = default;
};

// res_search(3) for SRV, getaddrinfo(3) (AI_ADDRCONFIG off, UDP) for hosts.
class system_resolver final : public dns_resolver {
 public:
  std::error_code srv(const std::string& name, std::vector<srv_record>& out) override;
  std::error_code host(const std::string& name, std::uint16_t port, std::vector<ip_endpoint>& out) override;
};

}  // namespace pinhole::client
