// probe_port_mapping(): one portmap_manager per protocol (PCP, NAT-PMP,
// UPnP-IGD) on a private io_context, a test mapping of a fresh socket, then its deletion.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>

#include "pinhole/errors.hpp"
#include "pinhole/portmap.hpp"
#include "portmap_manager.hpp"
#include "udp_io.hpp"

namespace pinhole {

namespace {
using client::portmap_manager;

using steady = std::chrono::steady_clock;

// A fresh UDP socket bound to the address the route to `gateway` leaves
// from, its local endpoint in `row`; false (row.error says why) if it
// cannot be opened.
bool open_test_socket(const ip_endpoint& gateway, portmap_probe_result& row, std::vector<int>& fds) {
  std::error_code ec;
  const int fd = client::open_udp(gateway.family, ec);
  if (fd < 0) {
    row.error = ec.message();
    return false;
  }
  fds.push_back(fd);
  const auto src = client::route_source(gateway);
  ip_endpoint local = src ? *src : ip_endpoint::any(gateway.family);
  local.port = 0;
  (void)client::bind_udp(fd, local);
  if (const auto bound = client::local_endpoint(fd)) row.internal = *bound;
  return true;
}

// The gateway's answer to a test mapping, into its row; true if mapped.
bool record(portmap_probe_result& row, std::error_code e, const client::portmap_lease& l, steady::time_point start) {
  row.time_to_mapping = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
  if (e) {
    row.error = e.message();
    return false;
  }
  row.mapped = true;
  row.external = l.external;
  row.lease_s = l.lifetime;
  return true;
}

// UPnP: the IGD that SSDP found (or the SSDP group asked, if none), a test
// mapping of a fresh socket on the address the IGD sees, then its deletion.
void probe_upnp(portmap_manager& pm, const portmap_probe_options& po, steady::time_point start,
                std::vector<portmap_probe_result>& out, std::vector<int>& fds) {
  portmap_probe_result r;
  r.protocol = mapping_origin::upnp;
  const auto* u = pm.upnp();
  r.gateway = ip_endpoint::parse("239.255.255.250:1900").value_or(ip_endpoint{});
  if (u != nullptr && u->gateway()) r.gateway = *u->gateway();
  r.answered = u != nullptr && u->offers(ip_family::v4);
  if (r.answered && u->external()) r.external = *u->external();
  out.push_back(r);
  if (!r.answered) {
    out.back().error = u != nullptr ? u->why_not() : "off";
    out.back().time_to_mapping = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    return;
  }
  if (!open_test_socket(r.gateway, out.back(), fds)) return;
  const auto idx = out.size() - 1;
  pm.map(1, out.back().internal,
         steady::now() + std::max<std::chrono::milliseconds>(4 * po.timeout, std::chrono::seconds(2)),
         [&, idx](std::error_code e, const client::portmap_lease& l) {
           // DeletePortMapping at once (on the UPnP worker; shutdown waits for it).
           if (record(out[idx], e, l, start)) pm.release(1);
         });
}

std::vector<portmap_probe_result> probe_one(const portmap_probe_options& po, mapping_origin proto) {
  boost::asio::io_context io;
  options o;
  o.port_mapping = {proto};
  o.portmap_gateways = po.gateways;
  o.portmap_timeout = po.timeout;
  o.portmap_lifetime = po.lifetime;
  // libminiupnpc's SSDP search takes at least 1 s (MX >= 1 s): the
  // diagnostic waits for it.
  o.portmap_upnp_timeout = std::max<std::chrono::milliseconds>(8 * po.timeout, std::chrono::milliseconds(2000));
  const auto start = std::chrono::steady_clock::now();
  portmap_manager pm(io, o, nullptr);
  std::vector<portmap_probe_result> out;
  std::vector<int> fds;
  pm.when_probed([&] {
    std::uint64_t key = 1;
    if (proto == mapping_origin::upnp) return probe_upnp(pm, po, start, out, fds);
    for (const auto& g : pm.gateways()) {
      portmap_probe_result r;
      r.protocol = proto;
      r.gateway = g.address;
      r.answered = proto == mapping_origin::pcp ? g.pcp : g.natpmp;
      if (proto == mapping_origin::natpmp && g.external) r.external = *g.external;
      out.push_back(r);
      if (!r.answered) {
        out.back().error = "no answer";
        continue;
      }
      if (!open_test_socket(g.address, out.back(), fds)) continue;
      const auto idx = out.size() - 1;
      const auto k = key++;
      pm.map(k, out.back().internal, std::chrono::steady_clock::now() + 4 * po.timeout,
             [&, idx, k](std::error_code e, const client::portmap_lease& l) {
               if (record(out[idx], e, l, start)) pm.release(k);  // the test mapping goes away at once
             });
    }
  });
  io.run_for(o.portmap_upnp_timeout + 8 * po.timeout + std::chrono::seconds(1));
  pm.shutdown();  // before the sockets close: UPnP's DeletePortMapping gets its grace
  for (const int fd : fds) ::close(fd);
  return out;
}
}  // namespace

std::vector<portmap_probe_result> probe_port_mapping(const portmap_probe_options& o) noexcept {
  try {
    auto out = probe_one(o, mapping_origin::pcp);
    for (auto& r : probe_one(o, mapping_origin::natpmp)) out.push_back(std::move(r));
    for (auto& r : probe_one(o, mapping_origin::upnp)) out.push_back(std::move(r));
    return out;
  } catch (...) {
    return {};
  }
}

}  // namespace pinhole
