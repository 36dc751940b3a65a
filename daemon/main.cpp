// pinholed: parse flags/config, bind, serve until SIGINT/SIGTERM.
#include <cstdio>

#include "cli.hpp"
#include "log.hpp"
#include "service.hpp"

int main(int argc, char** argv) {
  using namespace pinhole::daemon;
  auto cli = parse_cli(argc, argv);
  switch (cli.what) {
    case cli_result::action::run: break;
    case cli_result::action::error:
      std::fprintf(stderr, "%s\n", cli.message.c_str());
      return cli.exit_code;
    default:
      std::fprintf(stdout, "%s\n", cli.message.c_str());
      return cli.exit_code;
  }
  log_init(cli.cfg.level, stderr_is_journal());
  return run_service(cli.cfg, argc, argv);
}
