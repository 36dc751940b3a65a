// pinholed command line; see cli.hpp.
#include "cli.hpp"

#include "log.hpp"
#include "option_table.hpp"
#include "resources.hpp"

#include <algorithm>
#include <array>
#include <boost/make_shared.hpp>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <sstream>
#include <type_traits>
#include <variant>
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

[[noreturn]] void bad_value(const std::string& flag, const std::string& expected, std::string_view got) {
  throw flag_error{"--" + flag + ": expected " + expected + ", got " + quote(got)};
}

std::uint64_t parse_uint(const std::string& flag, const std::string& s, const option& o) {
  std::uint64_t v = 0;
  const char* const end = s.data() + s.size();
  const auto bad = [&] { bad_value(flag, range_text(o), s); };
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) bad();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || ptr != end || static_cast<double>(v) < o.lo || static_cast<double>(v) > o.hi) bad();
  return v;
}

double parse_rate(const std::string& flag, const std::string& s, const option& o) {
  double v = 0;
  const char* const end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc{} || ptr != end || !std::isfinite(v) || v < o.lo || v > o.hi) {
    bad_value(flag, range_text(o), s);
  }
  return v;
}

const char* group_title(option_group group) {
  switch (group) {
    case option_group::general: return "General";
    case option_group::network: return "Network";
    case option_group::rfc5780: return "RFC 5780 NAT behaviour discovery (both IPs enable it)";
    case option_group::limits: break;
  }
  return "Rate limiting and authentication";
}

// The flag of a setting: a switch, a list (repeatable) or one value.
boost::shared_ptr<po::option_description> describe_flag(const option& o) {
  const std::string name(o.flag);
  const std::string help = flag_help(o);
  if (o.value_name.empty())
    return boost::make_shared<po::option_description>(name.c_str(), new po::untyped_value(true), help.c_str());
  const std::string arg(o.value_name);
  if (is_list(o)) {
    return boost::make_shared<po::option_description>(
        name.c_str(), po::value<std::vector<std::string>>()->value_name(arg), help.c_str());
  }
  return boost::make_shared<po::option_description>(name.c_str(), po::value<std::string>()->value_name(arg),
                                                    help.c_str());
}

po::options_description visible_options() {
  std::array<po::options_description, 4> groups = {po::options_description(group_title(option_group::general)),
                                                   po::options_description(group_title(option_group::network)),
                                                   po::options_description(group_title(option_group::rfc5780)),
                                                   po::options_description(group_title(option_group::limits))};
  groups[0].add_options()("help,h", "print this help and exit")("version,V", "print the version and exit")(
      "config", po::value<std::string>()->value_name("FILE"), "JSON configuration file (flags override it)")(
      "check-config", "validate the configuration, then exit 0 (ok) or 2 (error)")(
      "print-config", "print the effective configuration as JSON and exit");
  for (const auto& o : options()) {
    if (!o.flag.empty()) groups[static_cast<std::size_t>(o.group)].add(describe_flag(o));
  }
  po::options_description all;
  for (const auto& group : groups) all.add(group);
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

// One flag's value(s) into the setting `o`, by the setting's type.
void apply_flag(const option& o, const po::variable_value& value, config& cfg) {
  const std::string flag(o.flag);
  std::visit(
      [&](auto* field) {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          *field = true;  // a switch
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *field = value.as<std::vector<std::string>>();
        } else if constexpr (std::is_same_v<T, std::string>) {
          // A switch on a text setting (--xdp-generic) sets its one value.
          *field = o.value_name.empty() ? std::string(o.switch_sets) : value.as<std::string>();
        } else if constexpr (std::is_same_v<T, std::vector<listen_spec>>) {
          std::vector<listen_spec> specs;
          for (const auto& text : value.as<std::vector<std::string>>()) {
            listen_spec s;
            if (!parse_listen(text, s)) bad_value(flag, "IP:PORT (IPv6 as [addr]:port)", text);
            specs.push_back(std::move(s));
          }
          *field = std::move(specs);
        } else if constexpr (std::is_same_v<T, std::vector<prefix_setting>>) {
          std::vector<prefix_setting> prefixes;
          for (const auto& text : value.as<std::vector<std::string>>()) {
            prefix_setting p(text);
            if (!p.valid()) bad_value(flag, "IP prefix like 198.51.100.0/24 with zero host bits", text);
            prefixes.push_back(std::move(p));
          }
          *field = std::move(prefixes);
        } else {
          const auto& text = value.as<std::string>();
          if constexpr (std::is_same_v<T, double>) {
            *field = parse_rate(flag, text, o);
          } else if constexpr (std::is_integral_v<T>) {
            *field = static_cast<T>(parse_uint(flag, text, o));
          } else if constexpr (std::is_same_v<T, log_level>) {
            if (!parse_log_level(text, *field)) bad_value(flag, "debug, info, warning or error", text);
          } else if constexpr (std::is_same_v<T, ip_setting>) {
            *field = ip_setting(text);
            if (!field->valid()) bad_value(flag, "IP address", text);
          } else {
            static_assert(std::is_same_v<T, endpoint_setting>);
            *field = endpoint_setting(text);  // "" = off
            if (!text.empty() && !field->valid()) bad_value(flag, "ADDR:PORT (IPv6 as [addr]:port)", text);
          }
        }
      },
      o.field(cfg));
}

// Applies the flags in `vm` on top of `cfg`, in table order; throws flag_error.
void apply_flags(const po::variables_map& vm, config& cfg) {
  for (const auto& o : options()) {
    if (o.flag.empty()) continue;
    const auto it = vm.find(std::string(o.flag));
    if (it == vm.end() || (it->second.empty() && !o.value_name.empty())) continue;
    apply_flag(o, it->second, cfg);
    if (o.enables_rfc5780) cfg.rfc5780.enabled = true;  // validate() then insists on the other IP too
  }
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

// argv into `vm` (the visible options, and any positional argument caught
// to be refused); a failure to report, or nothing.
std::optional<cli_result> read_argv(int argc, const char* const* argv, const po::options_description& visible,
                                    po::variables_map& vm) {
  po::options_description all;
  all.add(visible);
  all.add_options()("positional", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("positional", -1);

  if (const char* bad = placeholder_trap(all, argc, argv)) {
    return fail("unrecognised option " + quote(bad) + " (see --help)");
  }
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
    return fail("unexpected argument " + quote(it->second.as<std::vector<std::string>>().front()) + " (see --help)");
  }
  return std::nullopt;
}

// The configuration: defaults, then the file (--config), then the flags,
// validated and checked against the machine's memory; a failure to report,
// or nothing.
std::optional<cli_result> make_config(const po::variables_map& vm, config& cfg) {
  cfg = default_config();
  // The default listeners are for plain mode: RFC 5780 mode binds its four
  // sockets plus only the listen addresses the file or --listen set. A
  // listen_spec with no text never parses, so it marks "file left
  // listen alone".
  const auto default_listen = cfg.listen;
  cfg.listen = {listen_spec{}};
  const std::string* const path = get(vm, "config");
  if (path != nullptr) {
    if (const outcome st = load_file(*path, cfg); !st) return fail(st.message());
  }
  bool listen_set = !(cfg.listen.size() == 1 && cfg.listen[0].text.empty());
  if (!listen_set) cfg.listen = default_listen;
  listen_set = listen_set || vm.count("listen") != 0;
  const config from_file = cfg;
  apply_flags(vm, cfg);
  if (cfg.rfc5780.enabled && !listen_set) cfg.listen.clear();
  // A problem the file has on its own is reported as "FILE: key: message",
  // like the file's other errors; one the flags bring in as "config: ...".
  auto blame = [&](const outcome& st, const std::function<outcome(const config&)>& test) {
    std::string error = st.message();
    if (path != nullptr && test(from_file).message() == error) {
      constexpr std::string_view prefix = "config: ";
      if (error.rfind(prefix, 0) == 0) error.erase(0, prefix.size());
      return fail(*path + ": " + error);
    }
    return fail(error);
  };
  if (const outcome st = validate(cfg); !st) return blame(st, validate);
  auto memory = [](const config& c) -> outcome {
    const outcome fits = check_memory(estimate_resources(c));
    return fits ? fits : outcome{fits.code(), "config: " + fits.message()};
  };
  if (const outcome st = memory(cfg); !st) return blame(st, memory);
  return std::nullopt;
}

}  // namespace

cli_result parse_cli(int argc, const char* const* argv) {
  try {
    const po::options_description visible = visible_options();
    po::variables_map vm;
    if (auto failed = read_argv(argc, argv, visible, vm)) return *failed;

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

    config cfg;
    if (auto failed = make_config(vm, cfg)) return *failed;
    r.exit_code = 0;
    if (check) {
      r.what = cli_result::action::check_config;
      r.message = "pinholed: configuration OK (" + describe(estimate_resources(cfg)) + ")";
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
