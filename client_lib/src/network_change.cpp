// manager_core: what a change of the host's network does (netmon.hpp reports
// it, or the application through port_manager::network_changed()). Every
// mapping is re-checked at once instead of at its next keep-alive: a
// mapping whose local address is gone is re-bound to the address the
// kernel now routes from (or reported lost), the others are re-confirmed
// with a Binding request (mapping_changed if the NAT in front is another
// one now); the pre-warmed cache is emptied and refilled on the new
// network, and the network hooks run (the port-mapping protocols probe the
// new gateway there).
#include <ifaddrs.h>
#include <unistd.h>

#include <algorithm>

#include "manager_core.hpp"
#include "netmon.hpp"
#include "pinhole/errors.hpp"
#include "port_allocator.hpp"
#include "random.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

namespace {

// The host's addresses now (port 0). Empty if getifaddrs fails: then no
// address is taken for gone.
std::vector<ip_endpoint> local_addresses(bool& ok) {
  std::vector<ip_endpoint> out;
  ifaddrs* list = nullptr;
  ok = ::getifaddrs(&list) == 0;
  if (!ok) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    ip_endpoint e;
    if (i->ifa_addr != nullptr && from_sockaddr(i->ifa_addr, e)) out.push_back(e);
  }
  ::freeifaddrs(list);
  return out;
}

bool address_present(const std::vector<ip_endpoint>& addrs, const ip_endpoint& local) {
  if (local.is_unspecified()) return true;  // bound to "any": follows the routes by itself
  return std::any_of(addrs.begin(), addrs.end(), [&](const ip_endpoint& a) { return a.same_ip(local); });
}

}  // namespace

void manager_core::start_netmon() {
  if (!opts_.monitor_network || netmon_ || stopping_) return;
  netmon_ = std::make_unique<netmon>(io_, std::chrono::milliseconds(150), [this] { network_changed(); });
  if (netmon_->start()) netmon_.reset();  // no rtnetlink here: network_changed() still works
}

void manager_core::stop_netmon() {
  if (netmon_) netmon_->stop();
}

void manager_core::network_changed() {
  if (stopping_) return;
  network_changes_.fetch_add(1, std::memory_order_relaxed);
  event ne;
  ne.type = event_type::network_changed;
  emit(ne);
  bool listed = false;
  const auto addrs = local_addresses(listed);
  // The NAT in front may be another one: what was learnt about the old one
  // (destination-dependent, so no pre-warming) no longer holds.
  prewarm_off_ = false;
  std::vector<std::shared_ptr<slot>> all;
  all.reserve(slots_.size());
  for (const auto& [id, s] : slots_) all.push_back(s);
  for (const auto& s : all) {
    if (s->released()) continue;
    if (is_pooled(*s)) {
      destroy(s);  // learnt on the old network; refilled below
      continue;
    }
    // Mappings being made right now (GetMapping, StartListen in flight)
    // finish or fail on their own within their call budget.
    const bool settled = s->state == slot_state::handed_out || s->listen_refs > 0 || (s->owner != 0 && !s->mapped());
    if (!settled) continue;
    // A relayed mapping is the TURN server's address, not the NAT's: a
    // Binding would not confirm it. Its Refresh tells whether the
    // allocation survived (a failed one is mapping_lost).
    if (s->relay) continue;
    const bool gone = listed && !address_present(addrs, s->internal);
    recheck_after_change(s, gone);
  }
  start_prewarm();
  for (const auto& hook : network_hooks_) {
    try {
      hook();
    } catch (...) {
      // A hook's failure must not stop the others nor the event loop.
    }
  }
}

bool manager_core::is_pooled(const slot& s) const {
  return s.state == slot_state::pooled;  // in pool_ exactly then (manager_core::enter, destroy)
}

void manager_core::recheck_after_change(const std::shared_ptr<slot>& s, bool address_gone) {
  const bool reported = s->announced();
  const auto previous = s->external;
  bool rebound = false;
  if (address_gone) {
    const auto ec = s->attached() ? make_error_code(errc::socket_error) : rebind(s);
    if (ec) {
      // An application-owned socket cannot be moved by the library, and
      // without any usable address there is nothing to move to: say so.
      if (reported && !s->lost()) report_lost(s, ec);
      return;
    }
    rebound = true;
  }
  if (!s->mapped()) return;  // a reserved RTCP port: mapped when handed out
  recheck(s, [this, s, rebound, previous, reported](std::error_code ec) {
    if (s->released()) return;
    if (!ec && rebound && reported && s->external == previous) {
      // Same external address through a new socket: the internal one
      // changed, which the application must learn too.
      report_changed(s, previous, s->server);
    }
    if (!ec) keepalives_.fetch_add(1, std::memory_order_relaxed);
    schedule_keepalive(s, false);  // the interval starts again from this check
  });
}

std::error_code manager_core::rebind(const std::shared_ptr<slot>& s) {
  const auto fam = s->internal.family;
  const auto ip = local_ip_for(fam);
  if (!ip || ip->is_unspecified()) return make_error_code(errc::socket_error);
  int fd = -1;
  const auto try_bind = [&](std::uint16_t port) -> std::error_code {
    std::error_code e;
    fd = open_udp(fam, e);
    if (fd < 0) return e;
    if ((e = bind_udp(fd, ip_endpoint{fam, ip->ip, port}))) {
      ::close(fd);
      fd = -1;
    }
    return e;
  };
  // The same port if it is free there (SDP keeps its port), else one from the range.
  if (try_bind(s->internal.port)) {
    std::uint16_t port = 0;
    const auto range = opts_.port_ranges[static_cast<std::size_t>(s->type)];
    if (const auto ec = allocate_port(range, random_below(65536), try_bind, port)) return ec;
  }
  const auto local = local_endpoint(fd);
  if (!local) {
    ::close(fd);
    return make_error_code(errc::socket_error);
  }
  const auto old = s->internal;
  const bool listed = by_internal_.count(old) != 0;
  if (listed) directory_.remove(old);  // before the old descriptor is closed
  s->sock->close();
  s->sock = make_socket(s, fd, *local);
  s->internal = *local;
  if (s->lost()) s->health = mapping_health::confirmed;  // the new socket is re-checked next
  if (listed) {
    // The application may still name the mapping by its old internal
    // address (update_remote_address, release_mapping, send).
    if (std::find(s->former_internals.begin(), s->former_internals.end(), old) == s->former_internals.end()) {
      s->former_internals.push_back(old);
    }
    for (const auto& name : s->former_internals) {
      by_internal_[name] = s->id;
      directory_.add(name, fd);
    }
    by_internal_[s->internal] = s->id;
    directory_.add(s->internal, fd);
  }
  return {};
}

void manager_core::forget_former_internals(const slot& s) {
  for (const auto& name : s.former_internals) {
    if (const auto it = by_internal_.find(name); it != by_internal_.end() && it->second == s.id) {
      by_internal_.erase(it);
      directory_.remove(name);
    }
  }
}

}  // namespace pinhole::client
