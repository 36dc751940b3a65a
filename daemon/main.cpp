// pinholed: parse flags/config, bind, serve until SIGINT/SIGTERM.
#include <cstdio>
#include <exception>
#include <string>

#include "cli.hpp"
#include "log.hpp"
#include "resources.hpp"
#include "service.hpp"

int main(int argc, char** argv) {
  using namespace pinhole::daemon;
  auto cli = parse_cli(argc, argv);
  switch (cli.what) {
    case cli_result::action::run: break;
    case cli_result::action::error: std::fprintf(stderr, "%s\n", cli.message.c_str()); return cli.exit_code;
    default: std::fprintf(stdout, "%s\n", cli.message.c_str()); return cli.exit_code;
  }
  // Enough descriptors for every worker's sockets and event loop, before
  // any is opened (raising the soft limit when the hard one allows).
  const resource_needs needs = estimate_resources(cli.cfg);
  std::uint64_t fd_limit = 0;
  if (const outcome fds = ensure_fd_limit(needs, fd_limit); !fds) {
    std::fprintf(stderr, "pinholed: %s\n", fds.message().c_str());
    return 2;
  }
  log_init(cli.cfg.level, stderr_is_journal());
  try {
    return run_service(cli.cfg, needs, fd_limit, argc, argv);
  } catch (const std::exception& e) {
    // Startup resources the estimate missed (Asio throws when it cannot
    // create an event loop): one line and exit 2, never std::terminate.
    std::fprintf(stderr, "pinholed: cannot start: %s\n", e.what());
    return 2;
  }
}
