// pinholed configuration model: embedded defaults, JSON loading, validation and
// the effective-config dump. Socket-free; runs on the startup/reload path only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stun/address.hpp"

namespace pinhole::daemon {

// One "IP:PORT" listen (or metrics) address. IPv6 must be bracketed: "[::1]:3478".
struct listen_spec {
  std::string text;               // as written in the config / on the command line; "" = no address
  stun::transport_address addr;   // port 0 = kernel-chosen (useful for tests)

  friend bool operator==(const listen_spec&, const listen_spec&) = default;
};

enum class log_level { debug, info, warning, error };

struct rfc5780_config {
  bool enabled = false;
  std::string primary_ip, alternate_ip;
  std::uint16_t primary_port = 3478, alternate_port = 3479;
  std::string advertised_primary_ip, advertised_alternate_ip;  // empty = same as local

  friend bool operator==(const rfc5780_config&, const rfc5780_config&) = default;
};

// Short-term credentials (RFC 8489 §9.1).
struct auth_config {
  bool required = false;
  std::string username, password;

  friend bool operator==(const auth_config&, const auth_config&) = default;
};

struct rate_limit_config {
  double per_ip_rate = 0;   // requests/s per source IP (IPv6 by /64), 0 = off
  double per_ip_burst = 0;  // bucket depth; 0 (with per_ip_rate > 0) = let the limiter pick
  std::uint32_t table_size = 65536;  // 1 .. 16777216 tracked sources
  double global_rate = 0;   // responses/s cap, 0 = off

  friend bool operator==(const rate_limit_config&, const rate_limit_config&) = default;
};

// The optional XDP fast path (daemon/xdp/): interfaces it attaches to.
struct xdp_config {
  std::vector<std::string> interfaces;  // empty = off
  std::string mode = "native";          // "native" (driver) or "generic" (skb)

  friend bool operator==(const xdp_config&, const xdp_config&) = default;
};

struct config {
  // default: "0.0.0.0:3478" and "[::]:3478". RFC 5780 mode binds its four
  // sockets and only the listen addresses set explicitly (file or --listen;
  // may then be empty), see parse_cli.
  std::vector<listen_spec> listen;
  rfc5780_config rfc5780;
  std::string software;              // SOFTWARE attribute text; empty = omitted (default)
  log_level level = log_level::info;
  unsigned workers = 0;              // 0 = one per CPU core; at most 1024
  unsigned batch = 32;               // recvmmsg/sendmmsg batch, 1..1024
  unsigned coalesce_us = 0;          // under load, poll every N us instead of per readiness event; 0 = off, max 10000
  auth_config auth;
  rate_limit_config rate_limit;
  std::string metrics_listen;        // "" = metrics HTTP endpoint off; e.g. "127.0.0.1:9641"
  std::vector<std::string> allow;    // ACL "198.51.100.0/24", "2001:db8::/32", bare IP = host; empty = all
  std::string user;                  // drop privileges to this user after binding when root; "" = don't
  bool share_port = false;           // bind even if another process of this uid serves the port (SO_REUSEPORT)
  unsigned drain_grace_ms = 10000;   // drain mode (SIGUSR1): keep answering this long, then drop; max 3600000
  xdp_config xdp;
  bool xdp_required = false;         // XDP unavailable: exit 2 instead of serving from sockets only

  friend bool operator==(const config&, const config&) = default;
};

// The embedded defaults: pinholed runs with no file.
config default_config();

// Applies a JSON document on top of `cfg` (present keys override, absent keys are kept;
// "listen" and "allow" replace the whole list). All-or-nothing: on failure `cfg` is left
// untouched, false is returned and `error` is set to ONE line starting with "config: ".
bool apply_json(const std::string& json_text, config& cfg, std::string& error);

// Reads `path` (a regular file of at most 1 MiB; FIFOs, devices and directories are refused
// without blocking) and applies it with apply_json. Errors, one line: "FILE: cannot read: reason"
// or "FILE: <apply_json message without its "config: ">".
bool load_file(const std::string& path, config& cfg, std::string& error);

// Cross-field checks (see config.cpp). One line "config: ..." in `error` on failure.
bool validate(const config& cfg, std::string& error);

// The effective config as pretty JSON (same schema apply_json reads; round-trips).
// Note: includes auth.password verbatim.
std::string to_json(const config& cfg);

// ---- helpers shared with the CLI and the daemon (all socket-free, no allocation on success
// beyond `out.text`) ----

// "1.2.3.4:3478" / "[2001:db8::1]:3478"; port 0..65535. false on any syntax error.
// The grammar is stun::transport_address::parse's; IP literals (no brackets,
// no zone) are stun::transport_address::parse_literal's.
bool parse_listen(std::string_view text, listen_spec& out);

// An ACL prefix "198.51.100.0/24", "2001:db8::/32", or a bare IP (= /32 or /128).
// Host bits beyond the prefix length must be zero.
struct ip_prefix {
  stun::family family = stun::family::ipv4;
  std::array<std::uint8_t, 16> ip{};  // network order; IPv4 uses the first 4 bytes
  unsigned length = 0;                // prefix length in bits

  friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
};
bool parse_prefix(std::string_view text, ip_prefix& out);

}  // namespace pinhole::daemon
