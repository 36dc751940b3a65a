// Text and JSON output of pinhole-probe.
#include "report.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

namespace pinhole::probe {

std::string to_text(const nat_report& r, bool behavior) {
  std::ostringstream o;
  o << "local:             " << r.local.to_string() << "\n"
    << "mapped:            " << r.mapped.to_string() << "\n"
    << "server:            " << r.server.to_string() << "\n"
    << "behind NAT:        " << (r.behind_nat ? "yes" : "no") << "\n"
    << "port preservation: " << to_string(r.port_preservation) << "\n";
  if (behavior) {
    o << "alternate server:  " << (r.other ? r.other->to_string() : std::string("none (no OTHER-ADDRESS)")) << "\n"
      << "mapping:           " << to_string(r.mapping) << "\n"
      << "filtering:         " << to_string(r.filtering) << "\n"
      << "hairpinning:       " << to_string(r.hairpinning) << "\n";
  }
  o << "classic (RFC 3489): " << to_string(r.classic) << "\n";
  return o.str();
}

std::string to_json(const nat_report& r) {
  nlohmann::ordered_json j;
  j["local"] = r.local.to_string();
  j["mapped"] = r.mapped.to_string();
  j["server"] = r.server.to_string();
  j["nat"] = {
      {"mapping", to_string(r.mapping)},         {"filtering", to_string(r.filtering)},
      {"hairpinning", to_string(r.hairpinning)}, {"port_preservation", to_string(r.port_preservation)},
      {"classic", to_string(r.classic)},
  };
  j["behind_nat"] = r.behind_nat;
  return j.dump(2) + "\n";
}

std::string error_json(const std::string& server, const std::error_code& ec) {
  nlohmann::ordered_json j;
  j["server"] = server;
  j["error"] = ec.message();
  return j.dump(2) + "\n";
}

}  // namespace pinhole::probe
