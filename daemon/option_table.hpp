// The one list of pinholed's settings: JSON key, command-line flag, type,
// range, help and whether a reload (SIGHUP) applies it. The JSON loader, the
// flags, the range checks of validate(), --print-config and the man page
// check (tests/unit/daemon/option_table_test.cpp) all walk this table; the
// defaults are the member initialisers of `config` plus default_config().
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "config.hpp"

namespace pinhole::daemon {

// Where a setting lives in a `config`; its C++ type is the setting's type
// (std::uint32_t is `unsigned` here).
static_assert(std::is_same_v<std::uint32_t, unsigned>);
using option_field =
    std::variant<bool*, unsigned*, std::uint16_t*, double*, std::string*, log_level*, ip_setting*, endpoint_setting*,
                 std::vector<listen_spec>*, std::vector<prefix_setting>*, std::vector<std::string>*>;

// The sections of --help.
enum class option_group { general, network, rfc5780, limits };

struct option {
  std::string_view section;     // enclosing JSON object: "" (top level), "rfc5780", "auth", "rate_limit" or "xdp"
  std::string_view key;         // JSON key inside it
  std::string_view flag;        // command-line flag without "--"; "" = file only
  std::string_view value_name;  // the flag's argument in --help; "" = a switch that sets true
  option_group group;
  double lo = 0;  // numbers (integers and rates): the accepted range
  double hi = 0;
  bool check_range = false;      // validate() checks [lo, hi] (ports: only in RFC 5780 mode, by its own step)
  std::string_view range_note;   // appended to validate()'s range message, e.g. " (0 = off)"
  bool reloadable = true;        // false: a reload keeps the running value (needs a restart)
  bool enables_rfc5780 = false;  // the flag also sets rfc5780.enabled
  std::string_view help;         // --help text of the flag
  option_field (*field)(config&) = nullptr;
  // Text settings with a fixed set of values (xdp.mode): the values, the
  // first is the default; empty = any text.
  std::span<const std::string_view> choices{};
  // A switch (value_name "") on a text setting: the value it sets
  // (--xdp-generic sets xdp.mode to "generic").
  std::string_view switch_sets;

  // "rfc5780/primary_port" style name; "/" + path() is the JSON pointer.
  std::string path() const;
};

// Every setting, in the order of the JSON document (and of --print-config).
std::span<const option> options() noexcept;

// The option at JSON `section`/`key`, or null.
const option* find_option(std::string_view section, std::string_view key) noexcept;

// o.field(cfg) for reading a const config.
inline option_field read_field(const option& o, const config& cfg) { return o.field(const_cast<config&>(cfg)); }

// True for the double-valued (rate) options.
bool is_rate(const option& o);
// True for the list options (listen, allow, xdp.interfaces): their flag is repeatable.
bool is_list(const option& o);
// The default of a number option as text ("32"), "" for other types.
std::string default_text(const option& o);
// The flag's --help text: `help` plus, for numbers, " (lo-hi, default D)".
std::string flag_help(const option& o);
// "\"native\" or \"generic\"": the values of an option with choices.
std::string choices_text(const option& o);
// True if `text` is one of o.choices (or o has none).
bool is_choice(const option& o, std::string_view text);
// "1-1024": the range of a number option.
std::string range_bounds(const option& o);
// "integer 1-1024" / "number 0-1000000000": what a number option accepts.
std::string range_text(const option& o);

}  // namespace pinhole::daemon
