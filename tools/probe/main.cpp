// pinhole-probe: prints the local and mapped address and the NAT behaviour.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "pinhole/errors.hpp"
#include "portmap_report.hpp"
#include "report.hpp"

#ifndef PINHOLE_VERSION
#define PINHOLE_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  using namespace pinhole;
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string error;
    const auto s = probe::parse_args(args, error);
    if (!s) {
      std::cerr << "pinhole-probe: " << error << "\n(see pinhole-probe --help)\n";
      return probe::exit_usage;
    }
    if (s->help) {
      std::cout << probe::help_text();
      return probe::exit_ok;
    }
    if (s->version) {
      std::cout << "pinhole-probe " << PINHOLE_VERSION << "\n";
      return probe::exit_ok;
    }
    const auto pm = s->portmap ? probe::run_portmap(s->gateways) : std::vector<portmap_probe_result>{};
    if (s->portmap && !s->json) std::cout << probe::portmap_text(pm);
    nat_report r;
    const auto ec = discover_nat(s->discovery, r);
    if (ec) {
      std::cerr << "pinhole-probe: " << s->discovery.server << ": " << ec.message() << "\n";
      if (s->json) std::cout << probe::with_portmap(probe::error_json(s->discovery.server, ec), pm, s->portmap);
      if (ec == errc::invalid_argument || ec == errc::address_in_use) return probe::exit_usage;
      if (ec == errc::server_error || ec == errc::integrity_failure) return probe::exit_server_error;
      return probe::exit_no_response;
    }
    std::cout << (s->json ? probe::with_portmap(probe::to_json(r), pm, s->portmap)
                          : probe::to_text(r, s->discovery.behavior));
    return probe::exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "pinhole-probe: " << e.what() << "\n";
    return probe::exit_no_response;
  }
}
