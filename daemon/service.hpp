// The daemon's lifecycle around the server: bind, announce, serve, reload on
// SIGHUP, drain on SIGUSR1 (SIGUSR2 or SIGHUP ends it), stop on SIGINT/SIGTERM.
#pragma once

#include <cstdint>

#include "config.hpp"
#include "resources.hpp"

namespace pinhole::daemon {

// Runs until a termination signal. `argc/argv` are re-parsed on SIGHUP so a
// reload re-reads the config file with the same command-line overrides.
// Returns the process exit code.
// Logs the resources a config needs (`needs`, with the descriptor limit in
// force) once the signal handlers are installed, then binds and serves.
int run_service(const config& cfg, const resource_needs& needs, std::uint64_t fd_limit, int argc, char** argv);

}  // namespace pinhole::daemon
