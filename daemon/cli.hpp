// pinholed command line (Boost.Program_options). Order: embedded defaults, then the
// --config file, then flags override. The result is always validated (run, check and print).
#pragma once

#include "config.hpp"

#include <string>

namespace pinhole::daemon {

struct cli_result {
  enum class action { run, check_config, print_config, help, version, error } what = action::error;
  config cfg;           // the effective, validated config (run / check_config / print_config)
  std::string message;  // help text, version line, "pinholed: configuration OK (<resources>)", the
                        // effective config JSON (print_config) or the one-line error; no trailing newline
  int exit_code = 2;    // 0 for run/help/version/check ok/print; 2 for errors
};

// Never throws. Errors: what == error, exit_code == 2, message == "pinholed: <what>" (one line);
// a problem of the --config file itself reads "pinholed: FILE: key: message", one the flags
// bring in "pinholed: config: key: message".
// The caller prints `message + '\n'` to stderr for errors and to stdout otherwise (run: nothing).
cli_result parse_cli(int argc, const char* const* argv);

}  // namespace pinhole::daemon
