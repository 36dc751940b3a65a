// STUN server configuration: parsing "host[:port]" entries, resolving them
// (SRV, then A/AAAA) and ordering them for failover.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pinhole/types.hpp"
#include "resolver.hpp"

namespace pinhole::client {

inline constexpr std::uint16_t default_stun_port = 3478;  // RFC 8489 §18.5 "stun" 3478/udp

struct server_spec {
  std::string host;  // name or IP literal, without brackets
  std::uint16_t port = default_stun_port;
  bool explicit_port = false;
  bool literal = false;  // host is an IP literal
};

// "1.2.3.4", "1.2.3.4:5", "::1", "[::1]", "[::1]:5", "name", "name:5",
// optionally prefixed by "stun:" (RFC 7064 URI without query).
std::optional<server_spec> parse_server_spec(std::string_view text);

// Resolves every spec in order: literals as they are; names without a port
// via SRV _stun._udp.<name> when use_srv (RFC 8489 §8.1), falling back to
// A/AAAA on 3478. Fails only if no entry yields an address. `complete`
// (optional) says whether every entry yielded one.
std::error_code resolve_servers(const std::vector<std::string>& specs, bool use_srv, dns_resolver& dns,
                                std::vector<ip_endpoint>& out, bool* complete = nullptr);
// Only the IP literals of `specs`, in order (no DNS). invalid_argument if
// any entry does not parse, no_servers if there is none.
std::error_code literal_servers(const std::vector<std::string>& specs, std::vector<ip_endpoint>& out);

// Failover order. A server that timed out or bounced is down: it is tried
// only after every healthy one (so calls do not pay for it again) until a
// transaction to it succeeds. Its re-probe is due `hold_down` after the
// first failure, then twice as long after each further failure (at most
// `max_hold_down`); the manager probes it in the background (probe_due).
class server_list {
 public:
  using clock = std::chrono::steady_clock;
  explicit server_list(std::vector<ip_endpoint> servers, clock::duration hold_down = std::chrono::seconds(5),
                       clock::duration max_hold_down = std::chrono::minutes(5));

  // Servers of `fam` in the order to try them at `now`.
  std::vector<ip_endpoint> candidates(ip_family fam, clock::time_point now) const;
  bool has_family(ip_family fam) const noexcept;
  // Returns true if the server was healthy before (first failure).
  bool mark_failed(const ip_endpoint& s, clock::time_point now);
  // Returns true if the server was down before (it recovered).
  bool mark_ok(const ip_endpoint& s);
  bool is_down(const ip_endpoint& s) const;
  // Down servers whose re-probe is due at `now`, and when the next one is
  // due (nullopt: no server is down).
  std::vector<ip_endpoint> probe_due(clock::time_point now) const;
  std::optional<clock::time_point> next_probe() const;
  const std::vector<ip_endpoint>& all() const noexcept { return servers_; }
  // A new resolution of the same configuration: takes its order, keeps the
  // hold-down of servers that are still in it, forgets the ones that left.
  void replace(std::vector<ip_endpoint> servers);

 private:
  struct health {
    unsigned failures = 0;         // consecutive; 0 = healthy
    clock::time_point probe_at{};  // when down: the next re-probe
  };
  std::vector<ip_endpoint> servers_;
  std::vector<health> health_;
  clock::duration hold_down_;
  clock::duration max_hold_down_;
};

}  // namespace pinhole::client
