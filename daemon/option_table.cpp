// pinholed's settings, listed once; see option_table.hpp.
#include "option_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

namespace pinhole::daemon {

namespace {

using g = option_group;

constexpr double k_max_rate = 1e9;
constexpr std::string_view k_xdp_modes[] = {"native", "generic"};

// Field accessors: one non-capturing lambda per setting.
#define PH_FIELD(member) [](config& c) -> option_field { return &c.member; }  // NOLINT

// One option per entry, its fields in the struct's order, packed as written.
// clang-format off
const std::array<option, 28> k_options = {{
    {"", "listen", "listen", "ADDR:PORT", g::network, 0, 0, false, "", true, false,
     "bind exactly these addresses (repeatable; replaces the configured list); IPv6 as [addr]:port",
     PH_FIELD(listen), {}, ""},
    {"rfc5780", "enabled", "", "", g::rfc5780, 0, 0, false, "", true, false, "", PH_FIELD(rfc5780.enabled), {}, ""},
    {"rfc5780", "primary_ip", "rfc5780-primary", "IP", g::rfc5780, 0, 0, false, "", true, true, "primary local IP",
     PH_FIELD(rfc5780.primary_ip), {}, ""},
    {"rfc5780", "alternate_ip", "rfc5780-alternate", "IP", g::rfc5780, 0, 0, false, "", true, true,
     "alternate local IP", PH_FIELD(rfc5780.alternate_ip), {}, ""},
    {"rfc5780", "primary_port", "primary-port", "N", g::rfc5780, 1, 65535, false, "", true, false,
     "primary port", PH_FIELD(rfc5780.primary_port), {}, ""},
    {"rfc5780", "alternate_port", "alternate-port", "N", g::rfc5780, 1, 65535, false, "", true, false,
     "alternate port", PH_FIELD(rfc5780.alternate_port), {}, ""},
    {"rfc5780", "advertised_primary_ip", "advertised-primary", "IP", g::rfc5780, 0, 0, false, "", true, false,
     "primary IP to advertise (behind 1:1 NAT)", PH_FIELD(rfc5780.advertised_primary_ip), {}, ""},
    {"rfc5780", "advertised_alternate_ip", "advertised-alternate", "IP", g::rfc5780, 0, 0, false, "", true, false,
     "alternate IP to advertise", PH_FIELD(rfc5780.advertised_alternate_ip), {}, ""},
    {"", "software", "software", "TEXT", g::network, 0, 0, false, "", true, false,
     "SOFTWARE attribute text (empty = omitted)", PH_FIELD(software), {}, ""},
    {"", "log_level", "log-level", "LEVEL", g::general, 0, 0, false, "", true, false, "debug, info, warning or error",
     PH_FIELD(level), {}, ""},
    {"", "workers", "workers", "N", g::network, 0, 1024, true, " (0 = one per CPU core)", false, false,
     "worker threads, 0 = one per CPU core", PH_FIELD(workers), {}, ""},
    {"", "batch", "batch", "N", g::network, 1, 1024, true, "", false, false, "recvmmsg/sendmmsg batch size",
     PH_FIELD(batch), {}, ""},
    {"", "coalesce_us", "coalesce-us", "US", g::network, 0, 10000, true, " (0 = off)", true, false,
     "under load, read the sockets every US microseconds instead of on every wakeup, 0 = off",
     PH_FIELD(coalesce_us), {}, ""},
    {"auth", "required", "require-auth", "", g::limits, 0, 0, false, "", true, false,
     "reject requests without valid MESSAGE-INTEGRITY", PH_FIELD(auth.required), {}, ""},
    {"auth", "username", "auth-username", "U", g::limits, 0, 0, false, "", true, false,
     "short-term credential username", PH_FIELD(auth.username), {}, ""},
    {"auth", "password", "auth-password", "P", g::limits, 0, 0, false, "", true, false,
     "short-term credential password (visible in ps; prefer the config file)", PH_FIELD(auth.password), {}, ""},
    {"rate_limit", "per_ip_rate", "rate-limit", "R", g::limits, 0, k_max_rate, true, "", true, false,
     "requests/s per source IP (IPv6 per /64), 0 = off", PH_FIELD(rate_limit.per_ip_rate), {}, ""},
    {"rate_limit", "per_ip_burst", "rate-burst", "B", g::limits, 0, k_max_rate, true, "", true, false,
     "per-IP burst size", PH_FIELD(rate_limit.per_ip_burst), {}, ""},
    {"rate_limit", "table_size", "", "", g::limits, 1, 16777216, true, "", true, false, "",
     PH_FIELD(rate_limit.table_size), {}, ""},
    {"rate_limit", "global_rate", "global-rate", "R", g::limits, 0, k_max_rate, true, "", true, false,
     "total responses/s cap, 0 = off", PH_FIELD(rate_limit.global_rate), {}, ""},
    {"", "metrics_listen", "metrics", "ADDR:PORT", g::network, 0, 0, false, "", false, false,
     "serve Prometheus metrics over HTTP here", PH_FIELD(metrics_listen), {}, ""},
    {"", "allow", "allow", "PREFIX", g::network, 0, 0, false, "", true, false,
     "only answer clients in PREFIX (repeatable; replaces the configured list)", PH_FIELD(allow), {}, ""},
    {"", "user", "user", "NAME", g::general, 0, 0, false, "", false, false,
     "drop privileges to NAME after binding (when root)", PH_FIELD(user), {}, ""},
    {"", "share_port", "share-port", "", g::network, 0, 0, false, "", true, false,
     "bind even if another pinholed of this user serves the address (the kernel splits the traffic until one "
     "exits; for upgrades without downtime)",
     PH_FIELD(share_port), {}, ""},
    {"", "drain_grace_ms", "drain-grace", "MS", g::general, 0, 3600000, true, "", true, false,
     "drain mode (SIGUSR1): keep answering MS milliseconds, then drop",
     PH_FIELD(drain_grace_ms), {}, ""},
    {"xdp", "interfaces", "xdp", "IFACE", g::network, 0, 0, false, "", false, false,
     "answer bare Binding requests in XDP on IFACE (repeatable; replaces the configured list)",
     PH_FIELD(xdp.interfaces), {}, ""},
    {"xdp", "mode", "xdp-generic", "", g::network, 0, 0, false, "", false, false,
     "attach XDP in generic (skb) mode instead of native (driver) mode", PH_FIELD(xdp.mode), k_xdp_modes, "generic"},
    {"", "xdp_required", "xdp-required", "", g::network, 0, 0, false, "", false, false,
     "exit 2 if the XDP fast path cannot be attached", PH_FIELD(xdp_required), {}, ""},
}};
// clang-format on

#undef PH_FIELD

}  // namespace

std::string option::path() const {
  return section.empty() ? std::string(key) : std::string(section) + "/" + std::string(key);
}

std::span<const option> options() noexcept { return k_options; }

const option* find_option(std::string_view section, std::string_view key) noexcept {
  const auto it = std::find_if(k_options.begin(), k_options.end(),
                               [&](const option& o) { return o.section == section && o.key == key; });
  return it == k_options.end() ? nullptr : &*it;
}

namespace {

option_field probe_field(const option& o) {
  static config probe;  // only its members' addresses are taken
  return o.field(probe);
}

}  // namespace

bool is_rate(const option& o) { return std::holds_alternative<double*>(probe_field(o)); }

bool is_list(const option& o) {
  const auto f = probe_field(o);
  return std::holds_alternative<std::vector<listen_spec>*>(f) ||
         std::holds_alternative<std::vector<prefix_setting>*>(f) ||
         std::holds_alternative<std::vector<std::string>*>(f);
}

namespace {

std::string number_text(double v) {
  if (v == std::floor(v) && v >= 0 && v < 1e15) return std::to_string(static_cast<std::uint64_t>(v));
  return std::to_string(v);
}

}  // namespace

std::string default_text(const option& o) {
  static const config defaults = default_config();
  return std::visit(
      [](const auto* f) -> std::string {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(f)>>;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          return number_text(static_cast<double>(*f));
        } else {
          return {};
        }
      },
      read_field(o, defaults));
}

std::string flag_help(const option& o) {
  std::string help(o.help);
  if (o.hi > 0) help += " (" + range_bounds(o) + ", default " + default_text(o) + ")";
  return help;
}

std::string choices_text(const option& o) {
  std::string out;
  for (std::size_t i = 0; i < o.choices.size(); ++i) {
    if (i > 0) out += i + 1 == o.choices.size() ? " or " : ", ";
    out += "\"" + std::string(o.choices[i]) + "\"";
  }
  return out;
}

bool is_choice(const option& o, std::string_view text) {
  return o.choices.empty() || std::find(o.choices.begin(), o.choices.end(), text) != o.choices.end();
}

std::string range_bounds(const option& o) { return number_text(o.lo) + "-" + number_text(o.hi); }

std::string range_text(const option& o) { return (is_rate(o) ? "number " : "integer ") + range_bounds(o); }

}  // namespace pinhole::daemon
