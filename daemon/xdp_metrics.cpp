// The XDP fast path's Prometheus families, beside the socket path's.
#include <string>
#include <utility>

#include "metrics.hpp"
#include "xdp/stun_xdp_abi.h"
#include "xdp_loader.hpp"

namespace pinhole::daemon {

std::string xdp_fast_path::render_metrics() const {
  if (!attached()) return {};
  const auto c = counters();
  std::string out;
  const auto family = [&](const char* name, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
  };
  const auto sample = [&](const char* name, const std::string& labels, std::uint64_t v) {
    out += std::string(name) + "{" + labels + "} " + std::to_string(v) + "\n";
  };
  out +=
      "# HELP pinholed_xdp_interfaces Interfaces the XDP fast path is attached to.\n"
      "# TYPE pinholed_xdp_interfaces gauge\npinholed_xdp_interfaces " +
      std::to_string(interfaces().size()) + "\n";
  family("pinholed_xdp_answered_total", "Bare Binding requests answered in XDP (XDP_TX), by family.");
  sample("pinholed_xdp_answered_total", "family=\"ipv4\"", c[PH_ANSWERED_V4]);
  sample("pinholed_xdp_answered_total", "family=\"ipv6\"", c[PH_ANSWERED_V6]);
  static constexpr std::pair<int, const char*> passed[] = {
      {PH_PASS_NOT_OURS, "not_ours"}, {PH_PASS_NOT_BARE, "not_bare"}, {PH_PASS_IP_OPTIONS, "ip_options"},
      {PH_PASS_FRAGMENT, "fragment"}, {PH_PASS_VLAN, "vlan"},         {PH_PASS_BAD_CHECKSUM, "bad_checksum"},
      {PH_PASS_ACL, "acl"},           {PH_PASS_DISABLED, "disabled"}, {PH_PASS_OTHER, "other"},
  };
  family("pinholed_xdp_passed_total",
         "Packets the XDP program passed up to the kernel (and the socket path), by reason.");
  for (const auto& [i, name] : passed)
    sample("pinholed_xdp_passed_total", std::string("reason=\"") + name + "\"", c[static_cast<std::size_t>(i)]);
  family("pinholed_xdp_dropped_total", "Bare Binding requests dropped in XDP by the rate limits.");
  sample("pinholed_xdp_dropped_total", "reason=\"rate_limited\"", c[PH_DROP_RATE_LIMITED]);
  sample("pinholed_xdp_dropped_total", "reason=\"global_limit\"", c[PH_DROP_GLOBAL_LIMIT]);
  return out;
}

}  // namespace pinhole::daemon
