// manager_core: GetMapping, UpdateRemoteAddress, ReleaseMapping, adoption
// and attachment, and the slot transitions with the counters they move.
// Sockets are opened in open_slot.cpp, first mappings made in
// first_mapping.cpp, handed out in hand_out.cpp, pre-warmed in prewarm.cpp;
// listening is in listen.cpp, keep-alives and failover in keepalive.cpp.
#include "manager_core.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "first_answer.hpp"
#include "pinhole/errors.hpp"
#include "random.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

namespace {
constexpr std::size_t receive_buffer_size = 65536;
}

manager_core::manager_core(asio::io_context& io, options opts, std::vector<ip_endpoint> servers)
    : io_(io), opts_(std::move(opts)), servers_(std::move(servers)), rx_(receive_buffer_size) {
  start_portmap();
}

void manager_core::get_mapping(const ip_endpoint& remote, port_type type, clock::time_point deadline, done_fn done) {
  if (stopping_) return done(make_error_code(errc::shutting_down), mapping{});
  if (opts_.prefer_relay && has_relay(remote.family)) {
    return map_relayed(remote, type, deadline, done);
  }
  if (has_relay(remote.family)) {
    // STUN first, with half the budget; the relay when no direct mapping can work.
    const auto half = clock::now() + (deadline - clock::now()) / 2;
    return direct_mapping(remote, type, half,
                          [this, remote, type, deadline, done](std::error_code ec, const mapping& m) {
                            if (!relay_fallback(ec) || stopping_) return done(ec, m);
                            map_relayed(remote, type, deadline, done);
                          });
  }
  direct_mapping(remote, type, deadline, std::move(done));
}

void manager_core::direct_mapping(const ip_endpoint& remote, port_type type, clock::time_point deadline, done_fn done) {
  if (const auto ec = servers_for(remote.family)) return done(ec, mapping{});
  if (type == port_type::sip && listens_.load(std::memory_order_relaxed) > 0) {
    // A listening SIP socket is shared with outgoing SIP: the Contact then
    // carries the one external address incoming requests can reach.
    for (auto& [id, s] : slots_) {
      if (s->listen_refs > 0 && s->mapped() && s->internal.family == remote.family) {
        ++s->use_refs;
        return done({}, snapshot(*s));
      }
    }
  }
  if (opts_.rtp_rtcp_pairs && is_rtcp(type)) {
    if (auto r = take_reserved_rtcp(type, remote)) return map_and_hand_out(r, remote, deadline, std::move(done));
  }
  auto& pool = pool_[static_cast<std::size_t>(type)];
  if (remote.family == ip_family::v4 && !pool.empty()) {
    // Served from the pre-warmed cache: no network round trip.
    const auto s = slots_.at(pool.front());
    pool.pop_front();
    hand_out(s, remote);
    done({}, snapshot(*s));
    refill(type);
    return;
  }
  std::shared_ptr<slot> s;
  if (const auto ec = open_slot(remote.family, type, std::nullopt, s); ec) return done(ec, mapping{});
  s->remote = remote;
  map_and_hand_out(s, remote, deadline, std::move(done), true);
}

void manager_core::update_remote(const ip_endpoint& remote, const ip_endpoint& internal, const ip_endpoint& external,
                                 clock::time_point deadline, const done_fn& done) {
  // Identified by the internal endpoint; the external one may be the
  // current or one from before a rebinding (mapping_changed).
  const auto s = find_internal(internal);
  if (!s || !s->known_as(external)) return done(make_error_code(errc::unknown_mapping), mapping{});
  if (remote.family != s->internal.family) return done(make_error_code(errc::family_not_supported), mapping{});
  if (s->relay) return relay_update(s, remote, deadline, done);
  s->remote = remote;
  ip_endpoint to = remote;
  if (to.port == 0) to.port = s->external.port;
  // The punch: a Binding indication, which gets no response (RFC 8489 §3,
  // indication transactions), so it opens address-dependent filters on our
  // NAT towards the new remote harmlessly.
  std::vector<std::byte> punch;
  build_binding_indication(new_transaction_id(), punch);
  if (const auto ec = s->sock->send(punch, to); ec) return done(make_error_code(errc::socket_error), snapshot(*s));
  // At the deadline the answer is the mapping as it stands; the re-check
  // goes on, and a change is reported as an event.
  const auto race = first_answer::race(io_, deadline, [this, s, done] { done({}, snapshot(*s)); });
  recheck(s, [this, s, race, done](std::error_code ec) {
    if (race->claim()) done(ec, snapshot(*s));
  });
}

std::error_code manager_core::release(const ip_endpoint& internal, const ip_endpoint& external) {
  const auto s = find_internal(internal);
  if (!s || !s->known_as(external)) return make_error_code(errc::unknown_mapping);
  if (s->listen_key) {
    // A SIP mapping that shares the listening socket.
    if (s->use_refs == 0) return make_error_code(errc::unknown_mapping);
    if (--s->use_refs == 0 && s->listen_refs == 0) destroy(s);
    return {};
  }
  destroy(s);
  return {};
}

std::shared_ptr<slot> manager_core::find_internal(const ip_endpoint& internal) const {
  const auto it = by_internal_.find(internal);
  if (it == by_internal_.end()) return nullptr;
  const auto s = slots_.find(it->second);
  return s == slots_.end() ? nullptr : s->second;
}

void manager_core::enter(slot& s, slot_state to) {
  const auto from = s.enter(to);
  const auto step = [from, to](slot_state st, std::atomic<std::size_t>& n) {
    if (to == st) n.fetch_add(1, std::memory_order_relaxed);
    if (from == st) n.fetch_sub(1, std::memory_order_relaxed);
  };
  step(slot_state::handed_out, handed_out_);
  step(slot_state::pooled, pooled_);
  if (s.attached()) step(slot_state::handed_out, attached_);
}

// By value, not a reference: callers pass references into slots_, which this erases.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void manager_core::destroy(std::shared_ptr<slot> s) {
  if (s->released()) return;
  s->keepalive.cancel();
  s->budget.cancel();
  if (const auto it = by_internal_.find(s->internal); it != by_internal_.end() && it->second == s->id) {
    by_internal_.erase(it);
    directory_.remove(s->internal);  // before the close: no send() reaches a reused descriptor
  }
  forget_former_internals(*s);  // re-bound after a network change: its old names
  relay_release(s);             // Refresh LIFETIME 0 while the socket is open
  s->sock->close();
  if (portmap_) portmap_->release(s->id);
  slots_.erase(s->id);
  const auto was = s->state;
  enter(*s, slot_state::released);
  if (s->listen_key) listens_.fetch_sub(1, std::memory_order_relaxed);
  if (was == slot_state::pooled) {
    auto& pool = pool_[static_cast<std::size_t>(s->type)];
    pool.erase(std::remove(pool.begin(), pool.end(), s->id), pool.end());
  }
  if (was == slot_state::reserved) std::erase(reserved_rtcp_, s->id);
  // The RTCP port reserved next to this RTP port goes with it, unless it was
  // handed out meanwhile.
  if (s->rtcp_reserved != 0) {
    const auto r = slots_.find(s->rtcp_reserved);
    if (r != slots_.end() && r->second->state != slot_state::handed_out && r->second->owner == s->id) {
      destroy(r->second);
    }
  }
}

void manager_core::adopt(int fd, port_type type, const ip_endpoint& remote, clock::time_point deadline, done_fn done) {
  // Ownership is transferred: from here on the descriptor is the library's,
  // read on the io thread and closed on release (or now, on failure).
  if (stopping_) {
    ::close(fd);
    return done(make_error_code(errc::shutting_down), mapping{});
  }
  ip_family fam = ip_family::v4;
  if (prepare_adopted(fd, fam)) {
    ::close(fd);
    return done(make_error_code(errc::invalid_argument), mapping{});
  }
  if (remote.family != fam) {
    ::close(fd);
    return done(make_error_code(errc::family_not_supported), mapping{});
  }
  auto local = *local_endpoint(fd);
  if (local.is_unspecified()) {
    if (const auto ip = local_ip_for(fam)) local = ip_endpoint{ip->family, ip->ip, local.port};
  }
  // An explicit mapping from the gateway first, as for GetMapping: the
  // gateway maps an address and port, whoever owns the descriptor.
  map_and_hand_out(wrap(fd, local, type), remote, deadline, std::move(done), true);
}

void manager_core::attach(int fd, port_type type, const ip_endpoint& remote, clock::time_point deadline, done_fn done) {
  if (stopping_) return done(make_error_code(errc::shutting_down), mapping{});
  // The application's socket stays as it is: no O_NONBLOCK, no IP_RECVERR
  // (that would change what its own recv() returns). Sends use MSG_DONTWAIT.
  int so_type = 0;
  socklen_t len = sizeof so_type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &so_type, &len) != 0 || so_type != SOCK_DGRAM) {
    return done(make_error_code(errc::invalid_argument), mapping{});
  }
  auto local = local_endpoint(fd);
  if (!local || local->port == 0) return done(make_error_code(errc::invalid_argument), mapping{});  // must be bound
  if (remote.family != local->family) return done(make_error_code(errc::family_not_supported), mapping{});
  if (const auto ec = servers_for(local->family)) return done(ec, mapping{});
  if (local->is_unspecified()) {
    if (const auto ip = local_ip_for(local->family)) local = ip_endpoint{ip->family, ip->ip, local->port};
  }
  if (find_internal(*local)) return done(make_error_code(errc::address_in_use), mapping{});  // attached twice
  const auto s = wrap(fd, *local, type, slot_state::mapping, socket_owner::application);
  if (opts_.relay_attached_sockets && has_relay(local->family)) return attach_relayed(s, remote, deadline, done);
  map_and_hand_out(s, remote, deadline, std::move(done),
                   true);  // gateway first (PCP, NAT-PMP, UPnP), as for GetMapping
}

std::error_code manager_core::detach(const ip_endpoint& internal) {
  const auto s = find_internal(internal);
  if (!s) return make_error_code(errc::unknown_mapping);
  if (!s->attached()) return make_error_code(errc::invalid_argument);  // library-owned: release_mapping
  destroy(s);  // stops keep-alives and pending transactions; the descriptor stays open
  return {};
}

void manager_core::deliver(std::uint64_t owner, const ip_endpoint& from, std::span<const std::byte> data) {
  const auto it = slots_.find(owner);
  if (it == slots_.end() || it->second->released()) return;
  const auto& s = it->second;
  // An answer to the relay's own transactions (the application unwraps
  // relayed data itself, in handle_datagram).
  if (s->relay && relay_answer(s, from, data)) return;
  s->sock->deliver(data, from);
}

void manager_core::replace_servers(std::vector<ip_endpoint> servers, bool initial) {
  if (stopping_) return;
  servers_.replace(std::move(servers));
  if (!initial) server_updates_.fetch_add(1, std::memory_order_relaxed);
  schedule_probe();
  start_prewarm();  // a family may have appeared; refill() stops where nothing is missing
}

void manager_core::shutdown() {
  stopping_ = true;
  stop_netmon();
  if (portmap_) portmap_->shutdown();  // every lease deleted on the gateway
  probe_timer_.cancel();
  for (auto& p : probes_) p->close();
  probes_.clear();
  for (auto& t : refill_retry_) {
    if (t) t->cancel();
  }
  std::vector<std::shared_ptr<slot>> all;
  all.reserve(slots_.size());
  for (auto& [id, s] : slots_) all.push_back(s);
  for (auto& s : all) destroy(s);
}

port_manager_stats manager_core::stats() const noexcept {
  port_manager_stats st;
  st.mappings = handed_out_.load(std::memory_order_relaxed);
  st.prewarmed = pooled_.load(std::memory_order_relaxed);
  st.server_list_updates = server_updates_.load(std::memory_order_relaxed);
  st.listens = listens_.load(std::memory_order_relaxed);
  st.requests_sent = counters_.requests_sent.load(std::memory_order_relaxed);
  st.responses_ok = counters_.responses_ok.load(std::memory_order_relaxed);
  st.responses_rejected = counters_.responses_rejected.load(std::memory_order_relaxed);
  st.keepalives = keepalives_.load(std::memory_order_relaxed);
  st.keepalives_skipped = keepalives_skipped_.load(std::memory_order_relaxed);
  st.network_changes = network_changes_.load(std::memory_order_relaxed);
  st.attached = attached_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace pinhole::client
