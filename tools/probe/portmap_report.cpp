#include "portmap_report.hpp"

#include <nlohmann/json.hpp>

namespace pinhole::probe {

std::vector<portmap_probe_result> run_portmap(const std::vector<std::string>& gateways) {
  portmap_probe_options o;
  o.gateways = gateways;
  return probe_port_mapping(o);
}

std::string portmap_text(const std::vector<portmap_probe_result>& rs) {
  std::string out;
  if (rs.empty()) out += "portmap: no gateway\n";
  for (const auto& r : rs) {
    out += std::string("portmap ") + to_string(r.protocol) + " " + r.gateway.to_string() + " ";
    if (r.mapped) {
      out += "answered external=" + r.external.to_string() + " lease=" + std::to_string(r.lease_s) + "s";
    } else {
      out += r.answered ? "answered, no mapping: " + r.error : std::string("no answer");
      if (!r.answered && !r.error.empty() && r.error != "no answer") out += " (" + r.error + ")";  // UPnP says why
    }
    out += " time=" + std::to_string(r.time_to_mapping.count()) + "ms\n";
  }
  return out;
}

std::string with_portmap(const std::string& json, const std::vector<portmap_probe_result>& rs, bool enabled) {
  if (!enabled) return json;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return json;
  auto list = nlohmann::json::array();
  for (const auto& r : rs) {
    list.push_back({{"protocol", to_string(r.protocol)},
                    {"gateway", r.gateway.to_string()},
                    {"answered", r.answered},
                    {"mapped", r.mapped},
                    {"internal", r.internal.to_string()},
                    {"external", r.mapped || r.answered ? r.external.to_string() : ""},
                    {"lease_s", r.lease_s},
                    {"time_ms", r.time_to_mapping.count()},
                    {"error", r.error}});
  }
  j["portmap"] = list;
  return j.dump() + "\n";
}

}  // namespace pinhole::probe
