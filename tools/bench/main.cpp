// pinhole-bench: STUN Binding load generator (see load.hpp, options.cpp).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "load.hpp"
#include "options.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  using namespace pinhole::bench;
  std::string error;
  const auto opt = parse_args(std::vector<std::string>(argv + 1, argv + argc), error);
  if (!opt) {
    std::fprintf(stderr, "pinhole-bench: %s\n%s", error.c_str(), help_text().c_str());
    return exit_usage;
  }
  if (opt->help) {
    std::fputs(help_text().c_str(), stdout);
    return exit_ok;
  }
  pinhole::stun::transport_address server;
  if (!resolve_server(opt->server, server, error)) {
    std::fprintf(stderr, "pinhole-bench: %s\n", error.c_str());
    return exit_usage;
  }
  auto r = std::make_unique<result>();  // two histograms: too big for the stack
  if (!run_load(*opt, server, *r, error)) {
    std::fprintf(stderr, "pinhole-bench: %s\n", error.c_str());
    return exit_no_response;
  }
  const std::string out = opt->json ? to_json(*r) : to_text(*r);
  std::fputs(out.c_str(), stdout);
  return r->answered > 0 ? exit_ok : exit_no_response;
}
