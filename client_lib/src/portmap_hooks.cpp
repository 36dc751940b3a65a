// manager_core: explicit port mappings (PCP, NAT-PMP, UPnP-IGD). GetMapping and StartListen ask the
// gateway (portmap_manager) for a lease on the new socket first; the STUN
// transaction that follows verifies the gateway's external address, and a
// verified lease then replaces what STUN saw (so a symmetric NAT's
// destination-dependent view no longer matters: the gateway forwards the
// mapped port from anyone).
#include "manager_core.hpp"
#include "pinhole/errors.hpp"

namespace pinhole::client {

void manager_core::start_portmap() {
  const bool wanted = std::any_of(opts_.port_mapping.begin(), opts_.port_mapping.end(), [](mapping_origin o) {
    return o == mapping_origin::pcp || o == mapping_origin::natpmp || o == mapping_origin::upnp;
  });
  if (!wanted) return;
  portmap_ = std::make_unique<portmap_manager>(
      io_, opts_, [this](std::uint64_t id, std::error_code ec, const portmap_lease& l) { on_lease_change(id, ec, l); });
  // After a network change (netmon, or port_manager::network_changed) the
  // gateway may be another one: probe again.
  add_network_hook([this] { reprobe_gateways(); });
}

void manager_core::reprobe_gateways() {
  if (portmap_ && !stopping_) portmap_->reprobe();
}

std::error_code manager_core::info(const ip_endpoint& internal, mapping& out) {
  const auto s = find_internal(internal);
  if (!s) return make_error_code(errc::unknown_mapping);
  out = snapshot(*s);
  return {};
}

void manager_core::map_preferred(const std::shared_ptr<slot>& s, clock::time_point deadline, done_fn done) {
  if (!portmap_) return map_new(s, deadline, done);
  // The first probe round may still run: wait for it once (it is bounded
  // by portmap_timeout); afterwards its answer is cached.
  portmap_->when_probed([this, s, deadline, done = std::move(done)]() mutable {
    if (s->released() || stopping_) return done(make_error_code(errc::shutting_down), mapping{});
    if (!portmap_->offers(s->internal.family)) return map_new(s, deadline, done);
    portmap_->map(s->id, s->internal, deadline, [this, s, deadline, done](std::error_code ec, const portmap_lease& l) {
      if (s->released() || stopping_) return done(make_error_code(errc::shutting_down), mapping{});
      if (!ec) s->lease = l;
      map_new(s, deadline, done);
    });
  });
}

bool manager_core::keep_explicit(const std::shared_ptr<slot>& s, const ip_endpoint& mapped, const ip_endpoint& server) {
  if (!s->lease) return false;
  if (mapped.same_ip(s->lease->external)) {
    // The STUN server sees the address the gateway reported: the gateway
    // is the outermost NAT (or, IPv6, no NAT at all) and the lease holds.
    s->learn(s->lease->external, server, s->lease->origin);
    return true;
  }
  // The gateway is behind another NAT, or lies about its address: its
  // mapping is useless to peers. Delete it and use what STUN saw.
  portmap_->release(s->id);
  s->lease.reset();
  s->origin = mapping_origin::stun;
  return false;
}

void manager_core::on_lease_change(std::uint64_t id, std::error_code ec, const portmap_lease& l) {
  const auto it = slots_.find(id);
  if (it == slots_.end() || it->second->released() || !it->second->lease) return;
  const auto& s = it->second;
  if (ec) {
    // The lease ran out without renewal: the next keep-alive re-learns the
    // mapping from STUN (and reports the change).
    s->lease.reset();
    s->origin = mapping_origin::stun;
    return;
  }
  s->lease = l;
  if (!s->mapped() || s->external == l.external) return;
  const auto previous = s->external;
  s->move_external(l.external);
  if (s->announced()) report_changed(s, previous, s->server);
}

}  // namespace pinhole::client
