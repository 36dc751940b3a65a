// pinhole-probe's command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pinhole/nat.hpp"

namespace pinhole::probe {

// Exit codes (also in --help).
enum exit_code : int {
  exit_ok = 0,
  exit_no_response = 1,  // timeout, ICMP unreachable, invalid replies only, name not resolved
  exit_usage = 2,
  exit_server_error = 3,  // the server answered with an error response
};

struct settings {
  discovery_options discovery;
  bool json = false;
  bool portmap = false;               // --portmap
  std::vector<std::string> gateways;  // --gateway (repeatable)
  bool help = false;
  bool version = false;
};

// Parses argv[1..]; on error returns std::nullopt and sets `error`.
std::optional<settings> parse_args(const std::vector<std::string>& args, std::string& error);
std::string help_text();

}  // namespace pinhole::probe
