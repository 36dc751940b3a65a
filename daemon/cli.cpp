// pinholed command line; see cli.hpp.
#include "cli.hpp"

#include "log.hpp"
#include "resources.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#ifndef PINHOLE_VERSION
#define PINHOLE_VERSION "0.1.0"
#endif

namespace pinhole::daemon {

namespace {

namespace po = boost::program_options;

struct flag_error {
  std::string message;  // without the "pinholed: " prefix
};

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20U || u == 0x7FU) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (s.size() > 64) out += "...";
  out += '"';
  return out;
}

[[noreturn]] void bad_value(const char* flag, const char* expected, std::string_view got) {
  throw flag_error{std::string("--") + flag + ": expected " + expected + ", got " + quote(got)};
}

std::uint64_t parse_uint(const char* flag, const std::string& s, std::uint64_t lo, std::uint64_t hi,
                         const char* expected) {
  std::uint64_t v = 0;
  const char* const end = s.data() + s.size();
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    bad_value(flag, expected, s);
  }
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || ptr != end || v < lo || v > hi) bad_value(flag, expected, s);
  return v;
}

double parse_rate(const char* flag, const std::string& s) {
  constexpr const char* expected = "number 0-1000000000";
  double v = 0;
  const char* const end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || ptr != end || !std::isfinite(v) || v < 0 || v > 1e9) {
    bad_value(flag, expected, s);
  }
  return v;
}

std::string check_ip(const char* flag, const std::string& s) {
  if (!stun::transport_address::parse_literal(s)) bad_value(flag, "IP address", s);
  return s;
}

po::options_description visible_options() {
  po::options_description general("General");
  general.add_options()
      ("help,h", "print this help and exit")
      ("version,V", "print the version and exit")
      ("config", po::value<std::string>()->value_name("FILE"), "JSON configuration file (flags override it)")
      ("check-config", "validate the configuration, then exit 0 (ok) or 2 (error)")
      ("print-config", "print the effective configuration as JSON and exit")
      ("log-level", po::value<std::string>()->value_name("LEVEL"), "debug, info, warning or error")
      ("user", po::value<std::string>()->value_name("NAME"), "drop privileges to NAME after binding (when root)")
      ("drain-grace", po::value<std::string>()->value_name("MS"),
       "drain mode (SIGUSR1): keep answering MS milliseconds, then drop (0-3600000, default 10000)");

  po::options_description net("Network");
  net.add_options()
      ("listen", po::value<std::vector<std::string>>()->value_name("ADDR:PORT"),
       "bind exactly these addresses (repeatable; replaces the configured list); IPv6 as [addr]:port")
      ("share-port", "bind even if another pinholed of this user serves the address (the kernel splits the "
       "traffic until one exits; for upgrades without downtime)")
      ("workers", po::value<std::string>()->value_name("N"), "worker threads, 0 = one per CPU core")
      ("batch", po::value<std::string>()->value_name("N"), "recvmmsg/sendmmsg batch size, 1-1024")
      ("coalesce-us", po::value<std::string>()->value_name("US"),
       "under load, read the sockets every US microseconds instead of on every wakeup (0-10000, 0 = off)")
      ("software", po::value<std::string>()->value_name("TEXT"), "SOFTWARE attribute text (empty = omitted)")
      ("metrics", po::value<std::string>()->value_name("ADDR:PORT"), "serve Prometheus metrics over HTTP here")
      ("allow", po::value<std::vector<std::string>>()->value_name("PREFIX"),
       "only answer clients in PREFIX (repeatable; replaces the configured list)")
      ("xdp", po::value<std::vector<std::string>>()->value_name("IFACE"),
       "answer bare Binding requests in XDP on IFACE (repeatable; replaces the configured list)")
      ("xdp-generic", "attach XDP in generic (skb) mode instead of native (driver) mode")
      ("xdp-required", "exit 2 if the XDP fast path cannot be attached");

  po::options_description nat("RFC 5780 NAT behaviour discovery (both IPs enable it)");
  nat.add_options()
      ("rfc5780-primary", po::value<std::string>()->value_name("IP"), "primary local IP")
      ("rfc5780-alternate", po::value<std::string>()->value_name("IP"), "alternate local IP")
      ("primary-port", po::value<std::string>()->value_name("N"), "primary port (default 3478)")
      ("alternate-port", po::value<std::string>()->value_name("N"), "alternate port (default 3479)")
      ("advertised-primary", po::value<std::string>()->value_name("IP"), "primary IP to advertise (behind 1:1 NAT)")
      ("advertised-alternate", po::value<std::string>()->value_name("IP"), "alternate IP to advertise");

  po::options_description limits("Rate limiting and authentication");
  limits.add_options()
      ("rate-limit", po::value<std::string>()->value_name("R"), "requests/s per source IP (IPv6 per /64), 0 = off")
      ("rate-burst", po::value<std::string>()->value_name("B"), "per-IP burst size")
      ("global-rate", po::value<std::string>()->value_name("R"), "total responses/s cap, 0 = off")
      ("auth-username", po::value<std::string>()->value_name("U"), "short-term credential username")
      ("auth-password", po::value<std::string>()->value_name("P"),
       "short-term credential password (visible in ps; prefer the config file)")
      ("require-auth", "reject requests without valid MESSAGE-INTEGRITY");

  po::options_description all;
  all.add(general).add(net).add(nat).add(limits);
  return all;
}

std::string help_text(const po::options_description& desc) {
  std::ostringstream out;
  out << "Usage: pinholed [options]\n"
         "STUN echo daemon (RFC 8489/5389/3489/5780).\n"
      << desc;
  std::string s = out.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

const std::string* get(const po::variables_map& vm, const char* name) {
  const auto it = vm.find(name);
  if (it == vm.end() || it->second.empty()) return nullptr;
  return &it->second.as<std::string>();
}

// Applies the flags in `vm` on top of `cfg`; throws flag_error.
void apply_flags(const po::variables_map& vm, config& cfg) {
  if (const auto it = vm.find("listen"); it != vm.end() && !it->second.empty()) {
    std::vector<listen_spec> specs;
    for (const auto& text : it->second.as<std::vector<std::string>>()) {
      listen_spec s;
      if (!parse_listen(text, s)) bad_value("listen", "IP:PORT (IPv6 as [addr]:port)", text);
      specs.push_back(std::move(s));
    }
    cfg.listen = std::move(specs);
  }
  if (const auto it = vm.find("allow"); it != vm.end() && !it->second.empty()) {
    std::vector<std::string> prefixes;
    for (const auto& text : it->second.as<std::vector<std::string>>()) {
      ip_prefix p;
      if (!parse_prefix(text, p)) bad_value("allow", "IP prefix like 198.51.100.0/24 with zero host bits", text);
      prefixes.push_back(text);
    }
    cfg.allow = std::move(prefixes);
  }
  auto& r = cfg.rfc5780;
  if (const auto* v = get(vm, "rfc5780-primary")) {
    r.primary_ip = check_ip("rfc5780-primary", *v);
    r.enabled = true;  // validate() then insists on the alternate too
  }
  if (const auto* v = get(vm, "rfc5780-alternate")) {
    r.alternate_ip = check_ip("rfc5780-alternate", *v);
    r.enabled = true;
  }
  if (const auto* v = get(vm, "primary-port")) {
    r.primary_port = static_cast<std::uint16_t>(parse_uint("primary-port", *v, 1, 65535, "integer 1-65535"));
  }
  if (const auto* v = get(vm, "alternate-port")) {
    r.alternate_port = static_cast<std::uint16_t>(parse_uint("alternate-port", *v, 1, 65535, "integer 1-65535"));
  }
  if (const auto* v = get(vm, "advertised-primary")) r.advertised_primary_ip = check_ip("advertised-primary", *v);
  if (const auto* v = get(vm, "advertised-alternate")) {
    r.advertised_alternate_ip = check_ip("advertised-alternate", *v);
  }
  if (const auto* v = get(vm, "software")) cfg.software = *v;
  if (const auto* v = get(vm, "log-level")) {
    if (!parse_log_level(*v, cfg.level)) bad_value("log-level", "debug, info, warning or error", *v);
  }
  if (const auto* v = get(vm, "workers")) {
    cfg.workers = static_cast<unsigned>(parse_uint("workers", *v, 0, 1024, "integer 0-1024"));
  }
  if (const auto* v = get(vm, "batch")) {
    cfg.batch = static_cast<unsigned>(parse_uint("batch", *v, 1, 1024, "integer 1-1024"));
  }
  if (const auto* v = get(vm, "coalesce-us")) {
    cfg.coalesce_us = static_cast<unsigned>(parse_uint("coalesce-us", *v, 0, 10000, "integer 0-10000"));
  }
  if (const auto* v = get(vm, "metrics")) {
    listen_spec s;
    if (!v->empty() && !parse_listen(*v, s)) bad_value("metrics", "ADDR:PORT (IPv6 as [addr]:port)", *v);
    cfg.metrics_listen = *v;
  }
  if (const auto* v = get(vm, "rate-limit")) cfg.rate_limit.per_ip_rate = parse_rate("rate-limit", *v);
  if (const auto* v = get(vm, "rate-burst")) cfg.rate_limit.per_ip_burst = parse_rate("rate-burst", *v);
  if (const auto* v = get(vm, "global-rate")) cfg.rate_limit.global_rate = parse_rate("global-rate", *v);
  if (const auto* v = get(vm, "user")) cfg.user = *v;
  if (const auto* v = get(vm, "drain-grace")) {
    cfg.drain_grace_ms = static_cast<unsigned>(parse_uint("drain-grace", *v, 0, 3600000, "integer 0-3600000"));
  }
  if (const auto* v = get(vm, "auth-username")) cfg.auth.username = *v;
  if (const auto* v = get(vm, "auth-password")) cfg.auth.password = *v;
  if (vm.count("require-auth") != 0) cfg.auth.required = true;
  if (vm.count("share-port") != 0) cfg.share_port = true;
  if (const auto it = vm.find("xdp"); it != vm.end() && !it->second.empty()) {
    cfg.xdp.interfaces = it->second.as<std::vector<std::string>>();
  }
  if (vm.count("xdp-generic") != 0) cfg.xdp.mode = "generic";
  if (vm.count("xdp-required") != 0) cfg.xdp_required = true;
}

// Boost.Program_options 1.74 builds an error message by replacing each
// "%canonical_option%" / "%original_token%" placeholder with the offending
// token until none is left, so a token that contains its own placeholder
// never terminates (the message grows without bound). Unknown options are the
// errors that quote the user's token: an option-looking argument with a '%'
// that is not "--<known option>[=value]" is rejected before Boost sees it.
// Values of known options may still contain '%' ("--software 100%").
const char* placeholder_trap(const po::options_description& opts, int argc, const char* const* argv) {
  for (int i = 1; i < argc && argv != nullptr; ++i) {
    const std::string_view a = argv[i] != nullptr ? argv[i] : "";
    if (a.size() < 2 || a[0] != '-' || a.find('%') == std::string_view::npos) continue;
    if (a.starts_with("--")) {
      const std::string name(a.substr(2, a.find('=') - 2));
      if (name.find('%') == std::string::npos && opts.find_nothrow(name, false) != nullptr) continue;
    }
    return argv[i];
  }
  return nullptr;
}

cli_result fail(std::string message) {
  cli_result r;
  r.what = cli_result::action::error;
  r.exit_code = 2;
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  r.message = "pinholed: " + message;
  return r;
}

}  // namespace

cli_result parse_cli(int argc, const char* const* argv) {
  try {
    const po::options_description visible = visible_options();
    po::options_description all;
    all.add(visible);
    all.add_options()("positional", po::value<std::vector<std::string>>(), "");
    po::positional_options_description positional;
    positional.add("positional", -1);

    if (const char* bad = placeholder_trap(all, argc, argv)) {
      return fail("unrecognised option " + quote(bad) + " (see --help)");
    }
    po::variables_map vm;
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    // command_line_parser skips argv[0] itself.
    static const char* const no_args[] = {"pinholed", nullptr};
    const bool empty = argc < 1 || argv == nullptr;
    po::store(po::command_line_parser(empty ? 1 : argc, empty ? no_args : argv)
                  .options(all)
                  .positional(positional)
                  .style(style)
                  .run(),
              vm);
    po::notify(vm);

    if (const auto it = vm.find("positional"); it != vm.end()) {
      return fail("unexpected argument " + quote(it->second.as<std::vector<std::string>>().front()) +
                  " (see --help)");
    }

    cli_result r;
    if (vm.count("help") != 0) {
      r.what = cli_result::action::help;
      r.message = help_text(visible);
      r.exit_code = 0;
      return r;
    }
    if (vm.count("version") != 0) {
      r.what = cli_result::action::version;
      r.message = std::string("pinholed ") + PINHOLE_VERSION;
      r.exit_code = 0;
      return r;
    }
    const bool check = vm.count("check-config") != 0;
    const bool print = vm.count("print-config") != 0;
    if (check && print) return fail("--check-config and --print-config are mutually exclusive");

    config cfg = default_config();
    // The default listeners are for plain mode: RFC 5780 mode binds its four
    // sockets plus only the listen addresses the file or --listen set. A
    // listen_spec with no text never parses, so it marks "file left
    // listen alone".
    const auto default_listen = cfg.listen;
    cfg.listen = {listen_spec{}};
    const std::string* const path = get(vm, "config");
    if (path != nullptr) {
      std::string error;
      if (!load_file(*path, cfg, error)) return fail(error);
    }
    bool listen_set = !(cfg.listen.size() == 1 && cfg.listen[0].text.empty());
    if (!listen_set) cfg.listen = default_listen;
    listen_set = listen_set || vm.count("listen") != 0;
    const config from_file = cfg;
    apply_flags(vm, cfg);
    if (cfg.rfc5780.enabled && !listen_set) cfg.listen.clear();
    // A problem the file has on its own is reported as "FILE: key: message",
    // like the file's other errors; one the flags bring in as "config: ...".
    auto blame = [&](std::string error, const std::function<bool(const config&, std::string&)>& test) {
      std::string alone;
      if (path != nullptr && !test(from_file, alone) && alone == error) {
        constexpr std::string_view prefix = "config: ";
        if (error.rfind(prefix, 0) == 0) error.erase(0, prefix.size());
        return fail(*path + ": " + error);
      }
      return fail(error);
    };
    if (std::string error; !validate(cfg, error)) return blame(error, validate);
    const resource_needs needs = estimate_resources(cfg);
    auto memory = [](const config& c, std::string& error) {
      if (check_memory(estimate_resources(c), error)) return true;
      error = "config: " + error;
      return false;
    };
    if (std::string error; !memory(cfg, error)) return blame(error, memory);

    r.exit_code = 0;
    if (check) {
      r.what = cli_result::action::check_config;
      r.message = "pinholed: configuration OK (" + describe(needs) + ")";
    } else if (print) {
      r.what = cli_result::action::print_config;
      r.message = to_json(cfg);
    } else {
      r.what = cli_result::action::run;
    }
    r.cfg = std::move(cfg);
    return r;
  } catch (const flag_error& e) {
    return fail(e.message);
  } catch (const po::error& e) {
    return fail(std::string(e.what()) + " (see --help)");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace pinhole::daemon
