// pinhole-bench's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stun/address.hpp"

namespace pinhole::bench {

enum exit_code : int {
  exit_ok = 0,
  exit_no_response = 1,  // not a single valid response (or the run could not start)
  exit_usage = 2,
};

struct options {
  std::string server;          // as given: HOST:PORT, [V6]:PORT
  std::uint64_t rate = 10000;  // requests/s offered; 0 = open loop at the maximum
  double duration_s = 5;       // sending window
  unsigned sockets = 64;       // source ports
  unsigned batch = 16;         // most requests per sendmmsg
  unsigned drain_ms = 500;     // wait for late answers before counting losses
  bool fingerprint = false;    // add FINGERPRINT to every request
  bool busy_poll = false;      // never sleep: poll the sockets in a loop
  std::string xdp_receive;     // interface: receive the answers in XDP (xdp_receiver.hpp)
  bool json = false;
  bool help = false;
};

// Parses argv[1..]; on error returns std::nullopt and sets `error`.
std::optional<options> parse_args(const std::vector<std::string>& args, std::string& error);
std::string help_text();

// "192.0.2.1:3478", "[2001:db8::1]:3478" or "name:3478" (first address the
// resolver returns). false + `error` when it cannot be resolved.
bool resolve_server(const std::string& text, stun::transport_address& out, std::string& error);

}  // namespace pinhole::bench
