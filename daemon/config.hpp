// pinholed configuration model: the typed settings, their embedded defaults,
// JSON loading (config_json.cpp), validation (config_validate.cpp) and the
// effective-config dump (config_print.cpp). The settings themselves (keys,
// flags, ranges, help) are listed once, in option_table.hpp. Socket-free;
// runs on the startup/reload path only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config_values.hpp"
#include "outcome.hpp"

namespace pinhole::daemon {

enum class log_level { debug, info, warning, error };

struct rfc5780_config {
  bool enabled = false;
  ip_setting primary_ip, alternate_ip;
  std::uint16_t primary_port = 3478, alternate_port = 3479;
  ip_setting advertised_primary_ip, advertised_alternate_ip;  // empty = same as local

  friend bool operator==(const rfc5780_config&, const rfc5780_config&) = default;
};

// Short-term credentials (RFC 8489 §9.1).
struct auth_config {
  bool required = false;
  std::string username, password;

  friend bool operator==(const auth_config&, const auth_config&) = default;
};

struct rate_limit_config {
  double per_ip_rate = 0;            // requests/s per source IP (IPv6 by /64), 0 = off
  double per_ip_burst = 0;           // bucket depth; 0 (with per_ip_rate > 0) = let the limiter pick
  std::uint32_t table_size = 65536;  // tracked sources
  double global_rate = 0;            // responses/s cap, 0 = off

  friend bool operator==(const rate_limit_config&, const rate_limit_config&) = default;
};

// The optional XDP fast path (daemon/xdp/): interfaces it attaches to.
struct xdp_config {
  std::vector<std::string> interfaces;  // empty = off
  std::string mode = "native";          // "native" (driver) or "generic" (skb)

  friend bool operator==(const xdp_config&, const xdp_config&) = default;
};

// The defaults are the member initialisers (plus default_config()'s listen
// list); the ranges are option_table.cpp's.
struct config {
  // default: "0.0.0.0:3478" and "[::]:3478". RFC 5780 mode binds its four
  // sockets and only the listen addresses set explicitly (file or --listen;
  // may then be empty), see parse_cli.
  std::vector<listen_spec> listen;
  rfc5780_config rfc5780;
  std::string software;  // SOFTWARE attribute text; empty = omitted (default)
  log_level level = log_level::info;
  unsigned workers = 0;      // 0 = one per CPU core
  unsigned batch = 32;       // recvmmsg/sendmmsg batch
  unsigned coalesce_us = 0;  // under load, poll every N us instead of per readiness event; 0 = off
  auth_config auth;
  rate_limit_config rate_limit;
  endpoint_setting metrics_listen;    // "" = metrics HTTP endpoint off; e.g. "127.0.0.1:9641"
  std::vector<prefix_setting> allow;  // ACL "198.51.100.0/24", "2001:db8::/32", bare IP = host; empty = all
  std::string user;                   // drop privileges to this user after binding when root; "" = don't
  bool share_port = false;            // bind even if another process of this uid serves the port (SO_REUSEPORT)
  unsigned drain_grace_ms = 10000;    // drain mode (SIGUSR1): keep answering this long, then drop
  xdp_config xdp;
  bool xdp_required = false;  // XDP unavailable: exit 2 instead of serving from sockets only

  friend bool operator==(const config&, const config&) = default;
};

// The embedded defaults: pinholed runs with no file.
config default_config();

// Applies a JSON document on top of `cfg` (present keys override, absent keys are kept;
// "listen" and "allow" replace the whole list). All-or-nothing: on failure `cfg` is left
// untouched and the outcome carries ONE line starting with "config: " (code invalid_json or
// invalid_setting).
outcome apply_json(const std::string& json_text, config& cfg);

// Reads `path` (a regular file of at most 1 MiB; FIFOs, devices and directories are refused
// without blocking) and applies it with apply_json. Errors, one line: "FILE: cannot read: reason"
// or "FILE: <apply_json message without its "config: ">".
outcome load_file(const std::string& path, config& cfg);

// The checks of config_validate.cpp (ranges, consistency, RFC text rules), first failure
// first: one line "config: ...", code invalid_setting.
outcome validate(const config& cfg);

// The effective config as pretty JSON (same schema apply_json reads; round-trips).
// Note: includes auth.password verbatim.
std::string to_json(const config& cfg);

}  // namespace pinhole::daemon
