// validate(): the checks a config must pass before pinholed uses it, as
// small named steps in a fixed order; the first failing one is reported.
// Types and ranges of single settings come from option_table.hpp; the steps
// here check what a type cannot say (consistency between settings, text
// rules of the RFCs).
#include <algorithm>
#include <cmath>
#include <string>
#include <variant>

#include "config.hpp"
#include "config_messages.hpp"
#include "option_table.hpp"
#include "stun/limits.hpp"

namespace pinhole::daemon {

namespace {

constexpr std::size_t k_max_username = stun::limits::username_bytes;    // RFC 8489 §14.3: fewer than 509 bytes
constexpr std::size_t k_max_software_chars = stun::limits::text_chars;  // RFC 8489 §14.14: fewer than 128 characters
constexpr std::size_t k_max_software_bytes = stun::limits::text_bytes;
// RFC 8489 sets no length for a short-term password; this cap is ours (the
// key is the password itself, RFC 8489 §9.1.1: "key = OpaqueString(password)").
constexpr std::size_t k_max_password = 1024;

// A step's finding: "" = fine, else the message without "config: ".
using finding = std::string;

finding check_listen(const config& cfg) {
  // RFC 5780 mode may bind only its four sockets.
  if (cfg.listen.empty() && !cfg.rfc5780.enabled) return "listen: at least one address is required";
  for (std::size_t i = 0; i < cfg.listen.size(); ++i) {
    const auto& s = cfg.listen[i];
    if (s.text.empty()) return "listen: " + json_quote(s.text) + " has no address family";
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = cfg.listen[j];
      if (o.addr == s.addr && s.addr.port != 0) {
        return "listen: duplicate address " + json_quote(s.text);
      }
    }
  }
  return {};
}

// Every IP setting that is set must parse, enabled or not.
finding check_rfc5780_syntax(const rfc5780_config& r) {
  for (const auto* ip : {&r.primary_ip, &r.alternate_ip, &r.advertised_primary_ip, &r.advertised_alternate_ip}) {
    if (ip->empty() || ip->valid()) continue;
    const char* name = ip == &r.primary_ip              ? "primary_ip"
                       : ip == &r.alternate_ip          ? "alternate_ip"
                       : ip == &r.advertised_primary_ip ? "advertised_primary_ip"
                                                        : "advertised_alternate_ip";
    return std::string("rfc5780: ") + name + " " + json_quote(ip->text()) + " is not an IP address";
  }
  return {};
}

// Advertised addresses (RFC 5780 mode only): specific, of primary_ip's family.
finding check_rfc5780_advertised(const rfc5780_config& r) {
  if (!r.enabled) return {};
  for (const auto* adv : {&r.advertised_primary_ip, &r.advertised_alternate_ip}) {
    if (adv->empty()) continue;
    const char* name = adv == &r.advertised_primary_ip ? "advertised_primary_ip" : "advertised_alternate_ip";
    if (r.primary_ip.valid() && adv->value().fam != r.primary_ip.value().fam) {
      return std::string("rfc5780: ") + name + " must be the same address family as primary_ip";
    }
    if (adv->value().is_unspecified())
      return std::string("rfc5780: ") + name + " must be a specific address, not " + adv->text();
  }
  return {};
}

// RFC 5780 §4.1: the server needs two different IP addresses and two ports.
finding check_rfc5780_pair(const rfc5780_config& r) {
  if (!r.enabled) return {};
  if (r.primary_ip.empty()) return "rfc5780: enabled but primary_ip is empty";
  if (r.alternate_ip.empty()) return "rfc5780: enabled but alternate_ip is empty";
  const auto& p = r.primary_ip.value();
  const auto& a = r.alternate_ip.value();
  if (p.fam != a.fam) return "rfc5780: primary_ip and alternate_ip must be the same address family";
  if (p.ip == a.ip) return "rfc5780: primary_ip and alternate_ip must be different addresses";
  if (p.is_unspecified()) return "rfc5780: primary_ip must be a specific address, not " + r.primary_ip.text();
  if (a.is_unspecified()) return "rfc5780: alternate_ip must be a specific address, not " + r.alternate_ip.text();
  if (r.primary_port == 0 || r.alternate_port == 0) return "rfc5780: ports must be 1-65535";
  if (r.primary_port == r.alternate_port) return "rfc5780: primary_port and alternate_port must differ";
  return {};
}

// RFC 8489 §14.14: SOFTWARE "MUST be a UTF-8-encoded sequence of fewer than
// 128 characters (which can be as long as 763 bytes)".
finding check_software(const std::string& software) {
  if (software.empty()) return {};
  std::size_t chars = 0;
  if (!utf8_length(software, chars)) return "software: not valid UTF-8";
  if (chars > k_max_software_chars || software.size() > k_max_software_bytes) {
    return "software: must be fewer than 128 characters";
  }
  if (has_control_text(software)) return "software: must not contain control characters (NUL, newline, ...)";
  return {};
}

finding check_log_level(log_level level) {
  if (level != log_level::debug && level != log_level::info && level != log_level::warning &&
      level != log_level::error) {
    return "log_level: invalid value";
  }
  return {};
}

// The ranges of option_table.hpp, for configs built in code (the loader and
// the flags already refuse out-of-range values).
finding check_ranges(const config& cfg) {
  for (const auto& o : options()) {
    if (!o.check_range) continue;
    const auto field = read_field(o, cfg);
    double v = 0;
    std::visit(
        [&v](auto* f) {
          if constexpr (std::is_arithmetic_v<std::remove_pointer_t<decltype(f)>>) v = static_cast<double>(*f);
        },
        field);
    if (std::isfinite(v) && v >= o.lo && v <= o.hi) continue;
    const std::string what = is_rate(o) ? "a number " + range_bounds(o) : range_bounds(o);
    if (o.section.empty()) return std::string(o.key) + ": must be " + what + std::string(o.range_note);
    return std::string(o.section) + ": " + std::string(o.key) + " must be " + what + std::string(o.range_note);
  }
  return {};
}

finding check_auth(const auth_config& a) {
  if (a.required && a.username.empty()) return "auth: required but username is empty";
  if (a.required && a.password.empty()) return "auth: required but password is empty";
  if (a.username.empty() != a.password.empty()) return "auth: username and password must be set together";
  // RFC 8489 §14.3: USERNAME "MUST contain a UTF-8-encoded sequence of fewer than 509 bytes".
  if (a.username.size() > k_max_username) return "auth: username must be fewer than 509 bytes";
  if (std::size_t chars = 0; !a.username.empty() && !utf8_length(a.username, chars)) {
    return "auth: username is not valid UTF-8";
  }
  if (has_control_text(a.username)) return "auth: username must not contain control characters (NUL, newline, ...)";
  if (a.password.size() > k_max_password) return "auth: password must be at most 1024 bytes";
  if (std::size_t chars = 0; !utf8_length(a.password, chars)) return "auth: password is not valid UTF-8";
  if (has_control_text(a.password)) return "auth: password must not contain control characters (NUL, newline, ...)";
  return {};
}

finding check_rate_limit(const rate_limit_config& rl) {
  if (rl.per_ip_burst != 0 && rl.per_ip_burst < 1) return "rate_limit: per_ip_burst must be 0 or at least 1";
  return {};
}

finding check_metrics(const endpoint_setting& metrics) {
  if (metrics.empty() || metrics.valid()) return {};
  return "metrics_listen: " + json_quote(metrics.text()) + " is not IP:PORT (IPv6 as [addr]:port)";
}

finding check_allow(const std::vector<prefix_setting>& allow) {
  for (const auto& p : allow) {
    if (!p.valid()) {
      return "allow: " + json_quote(p.text()) + " is not an IP prefix like \"198.51.100.0/24\" with zero host bits";
    }
  }
  return {};
}

finding check_user(const std::string& user) {
  if (has_control(user) || user.find_first_of(" :/") != std::string::npos) {
    return "user: " + json_quote(user) + " is not a valid user name";
  }
  return {};
}

// XDP fast path: a mode the loader knows, names the kernel could have
// (IFNAMSIZ 16 with the NUL; no white space or '/').
finding check_xdp(const xdp_config& x) {
  if (x.mode != "native" && x.mode != "generic") return "xdp: mode must be \"native\" or \"generic\"";
  for (const auto& name : x.interfaces) {
    if (name.empty() || name.size() > 15 || has_control(name) || name.find_first_of(" /") != std::string::npos) {
      return "xdp: interfaces: " + json_quote(name) + " is not an interface name";
    }
  }
  return {};
}

}  // namespace

outcome validate(const config& cfg) {
  using step = finding (*)(const config&);
  static constexpr step k_steps[] = {
      check_listen,
      [](const config& c) { return check_rfc5780_syntax(c.rfc5780); },
      [](const config& c) { return check_rfc5780_advertised(c.rfc5780); },
      [](const config& c) { return check_rfc5780_pair(c.rfc5780); },
      [](const config& c) { return check_software(c.software); },
      [](const config& c) { return check_log_level(c.level); },
      check_ranges,
      [](const config& c) { return check_auth(c.auth); },
      [](const config& c) { return check_rate_limit(c.rate_limit); },
      [](const config& c) { return check_metrics(c.metrics_listen); },
      [](const config& c) { return check_allow(c.allow); },
      [](const config& c) { return check_user(c.user); },
      [](const config& c) { return check_xdp(c.xdp); },
  };
  for (const step s : k_steps) {
    if (finding v = s(cfg); !v.empty()) return {daemon_errc::invalid_setting, "config: " + one_line(std::move(v))};
  }
  return {};
}

}  // namespace pinhole::daemon
