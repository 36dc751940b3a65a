// Fuzz target: pinholed's configuration front ends. The input is used twice:
//  * as a JSON document for daemon::apply_json (on the defaults), then
//    validate(); invariants: a rejected document leaves the config untouched
//    and explains itself in one "config: ..." line; an accepted, valid config
//    round-trips through to_json();
//  * split on NUL bytes into argv for daemon::parse_cli; invariants: errors
//    are one "pinholed: ..." line with exit code 2, and any config it hands
//    back to run is valid. Arguments naming a --config file are skipped:
//    the fuzzer must not read /dev/zero or the host's files.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "config.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace pinhole::daemon;

bool one_line(const std::string& s, std::string_view prefix) {
  return s.starts_with(prefix) && s.find('\n') == std::string::npos;
}

void fuzz_json(const std::string& text) {
  const config defaults = default_config();
  config cfg = defaults;
  if (const outcome loaded = apply_json(text, cfg); !loaded) {
    FUZZ_CHECK(cfg == defaults);
    FUZZ_CHECK(one_line(loaded.message(), "config: "));
    return;
  }
  if (const outcome valid = validate(cfg); !valid) {
    FUZZ_CHECK(one_line(valid.message(), "config: "));
    return;
  }
  const std::string dumped = to_json(cfg);
  config again = default_config();
  FUZZ_CHECK(apply_json(dumped, again).ok());
  FUZZ_CHECK(again == cfg);
  FUZZ_CHECK(validate(again).ok());
}

void fuzz_cli(const std::string& text) {
  std::vector<std::string> args{"pinholed"};
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto nul = text.find('\0', start);
    const auto end = nul == std::string::npos ? text.size() : nul;
    args.emplace_back(text.substr(start, end - start));
    if (args.back().starts_with("--config")) return;
    if (nul == std::string::npos) break;
    start = nul + 1;
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  const auto r = parse_cli(static_cast<int>(args.size()), argv.data());
  switch (r.what) {
    case cli_result::action::error:
      FUZZ_CHECK(r.exit_code == 2);
      FUZZ_CHECK(one_line(r.message, "pinholed: "));
      break;
    case cli_result::action::run:
    case cli_result::action::check_config:
    case cli_result::action::print_config: {
      FUZZ_CHECK(r.exit_code == 0);
      FUZZ_CHECK(validate(r.cfg).ok());
      break;
    }
    case cli_result::action::help:
    case cli_result::action::version: FUZZ_CHECK(r.exit_code == 0 && !r.message.empty()); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 65536) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_json(text);
  fuzz_cli(text);
  return 0;
}
