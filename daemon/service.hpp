// The daemon's lifecycle around the server: bind, announce, serve, reload on
// SIGHUP, drain on SIGUSR1 (SIGUSR2 or SIGHUP ends it), stop on SIGINT/SIGTERM.
#pragma once

#include "config.hpp"

namespace pinhole::daemon {

// Runs until a termination signal. `argc/argv` are re-parsed on SIGHUP so a
// reload re-reads the config file with the same command-line overrides.
// Returns the process exit code.
int run_service(const config& cfg, int argc, char** argv);

}  // namespace pinhole::daemon
