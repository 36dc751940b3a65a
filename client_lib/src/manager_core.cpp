// manager_core: GetMapping, UpdateRemoteAddress, ReleaseMapping, adoption,
// the pre-warmed cache and RTP/RTCP reservations. Listening is in
// listen.cpp, keep-alives and failover in keepalive.cpp.
#include "manager_core.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "pinhole/errors.hpp"
#include "port_allocator.hpp"
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

std::optional<ip_endpoint> manager_core::local_ip_for(ip_family fam) {
  const auto configured = ip_endpoint::parse_ip(fam == ip_family::v4 ? opts_.bind_ipv4 : opts_.bind_ipv6, 0);
  if (configured && configured->family == fam && !configured->is_unspecified()) return configured;
  // An unspecified bind address would make the internal address useless in
  // SDP; use the source address the kernel routes towards the server.
  for (const auto& s : servers_.candidates(fam, clock::now())) {
    if (auto src = route_source(s)) return src;
  }
  return std::nullopt;
}

std::shared_ptr<slot> manager_core::wrap(int fd, const ip_endpoint& local, port_type type, bool attached) {
  auto s = std::make_shared<slot>(io_);
  s->id = next_id_++;
  s->type = type;
  s->internal = local;
  s->attached = attached;
  s->sock = make_socket(s, fd, local);
  slots_[s->id] = s;
  return s;
}

std::shared_ptr<mapped_socket> manager_core::make_socket(const std::shared_ptr<slot>& s, int fd,
                                                         const ip_endpoint& local) {
  auto sock = std::make_shared<mapped_socket>(io_, fd, local, rx_, counters_, s->attached ? &attached_txids_ : nullptr,
                                              s->id);
  std::weak_ptr<slot> weak = s;
  sock->set_datagram_handler([this, weak](const ip_endpoint& from, std::span<const std::byte> data) {
    const auto sp = weak.lock();
    if (!sp || sp->dead || !opts_.on_datagram) return;
    try {
      opts_.on_datagram(snapshot(*sp), from, data);
    } catch (...) {
      // Application exceptions must not unwind through the event loop.
    }
  });
  sock->start();
  return sock;
}

std::error_code manager_core::open_slot(ip_family fam, port_type type, const std::optional<ip_endpoint>& fixed,
                                        std::shared_ptr<slot>& out) {
  std::optional<ip_endpoint> ip = fixed;
  if (!ip || ip->is_unspecified()) {
    const auto port = ip ? ip->port : std::uint16_t{0};
    ip = local_ip_for(fam);
    if (!ip) ip = ip_endpoint::any(fam);
    ip->port = port;
  }
  const auto range = opts_.port_ranges[static_cast<std::size_t>(type)];
  const bool pair = opts_.rtp_rtcp_pairs && !is_rtcp(type) && type != port_type::sip && !(fixed && fixed->port != 0);
  int fd = -1;
  int fd2 = -1;
  std::error_code ec;
  auto bind_one = [&](int& f, std::uint16_t p) -> std::error_code {
    std::error_code e;
    f = open_udp(fam, e);
    if (f < 0) return e;
    ip_endpoint local = *ip;
    local.port = p;
    if ((e = bind_udp(f, local))) {
      ::close(f);
      f = -1;
      return e == std::errc::address_in_use ? make_error_code(errc::address_in_use) : e;
    }
    return {};
  };
  std::uint16_t port = 0;
  if (fixed && fixed->port != 0) {
    ec = bind_one(fd, fixed->port);
  } else if (pair) {
    ec = allocate_pair(range, random_below(65536), [&](std::uint16_t p) -> std::error_code {
      if (auto e = bind_one(fd, p)) return e;
      if (auto e = bind_one(fd2, static_cast<std::uint16_t>(p + 1U))) {
        ::close(fd);
        fd = -1;
        return e;
      }
      return {};
    }, port);
  } else {
    ec = allocate_port(range, random_below(65536), [&](std::uint16_t p) { return bind_one(fd, p); }, port);
  }
  if (ec) return ec == std::errc::address_in_use ? make_error_code(errc::address_in_use) : ec;
  const auto local = local_endpoint(fd);
  if (!local) {
    ::close(fd);
    if (fd2 >= 0) ::close(fd2);
    return make_error_code(errc::socket_error);
  }
  out = wrap(fd, *local, type);
  if (fd2 >= 0) {
    auto rtcp = wrap(fd2, *local_endpoint(fd2), *rtcp_partner(type));
    rtcp->owner = out->id;
    out->rtcp_reserved = rtcp->id;
    reserved_rtcp_.push_back(rtcp->id);
  }
  return {};
}

void manager_core::map_new(const std::shared_ptr<slot>& s, clock::time_point deadline, done_fn done) {
  auto finished = std::make_shared<bool>(false);
  auto checking = std::make_shared<bool>(false);  // mapped; destination check in flight
  s->budget.expires_at(deadline);
  s->budget.async_wait([this, s, finished, checking, done](const boost::system::error_code& ec) {
    if (ec || *finished) return;
    *finished = true;
    if (*checking) {
      // The mapping is known; only the destination-dependence check ran out
      // of time. Hand out what the server confirmed.
      done({}, snapshot(*s));
      return;
    }
    // Replies were seen but none passed validation: say so rather than
    // "timeout", and never hand out what they claimed.
    const auto why = make_error_code(s->sock->rejected() > 0 ? errc::bad_response : errc::timeout);
    destroy(s);
    done(why, mapping{});
  });
  resolve(s, servers_.candidates(s->internal.family, clock::now()), 0, {}, deadline,
          [this, s, finished, checking, deadline, done](std::error_code ec, const ip_endpoint& mapped, const ip_endpoint& server) {
            if (*finished) return;
            if (ec) {
              *finished = true;
              s->budget.cancel();
              destroy(s);
              done(ec, mapping{});
              return;
            }
            apply_mapping(s, mapped, server);
            if (s->lease) {  // a verified explicit mapping: reachable from anyone, no dependence check
              *finished = true;
              s->budget.cancel();
              return done({}, snapshot(*s));
            }
            const auto finish = [this, s, finished, done] {
              if (*finished) return;
              *finished = true;
              s->budget.cancel();
              if (s->destination_dependent) {
                const auto seen = snapshot(*s);
                destroy(s);
                done(make_error_code(errc::destination_dependent_mapping), seen);
                return;
              }
              done({}, snapshot(*s));
            };
            if (opts_.check_destination_dependence && s->other) {
              *checking = true;
              return check_dependence(s, deadline, finish);
            }
            finish();
          });
}

std::error_code manager_core::servers_for(ip_family fam) {
  if (servers_.all().empty()) {
    // Offline start: the names have not resolved yet. Ask DNS again soon.
    if (servers_exhausted_) servers_exhausted_();
    return make_error_code(errc::no_server_resolved);
  }
  if (!servers_.has_family(fam)) return make_error_code(errc::family_not_supported);
  return {};
}

binding_params manager_core::params_for(const ip_endpoint& server) const {
  binding_params p;
  p.server = server;
  p.tx = opts_.transaction;
  p.auth = opts_.auth;
  p.challenges = challenges_;
  p.fingerprint = opts_.fingerprint;
  return p;
}

void manager_core::check_dependence(const std::shared_ptr<slot>& s, clock::time_point deadline,
                                    std::function<void()> done) {
  // RFC 5780 §4.3 (mapping behaviour): a Binding request to the alternate
  // address and port from the same socket; the same mapped address means
  // endpoint-independent mapping, another one means the mapping depends on
  // the destination.
  auto params = params_for(*s->other);
  params.give_up = deadline;
  s->sock->binding(params, [s, done = std::move(done)](std::error_code ec, const binding_result& r) {
    if (s->dead) return;
    if (!ec && r.success) s->destination_dependent = !(r.mapped == s->external);
    done();
  });
}

void manager_core::hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote) {
  s->handed_out = true;
  s->remote = remote;
  by_internal_[s->internal] = s->id;
  directory_.add(s->internal, s->sock->native_handle());
  handed_out_.fetch_add(1, std::memory_order_relaxed);
  if (s->attached) attached_.fetch_add(1, std::memory_order_relaxed);
  schedule_keepalive(s, true);
}

std::shared_ptr<slot> manager_core::take_reserved_rtcp(port_type type, const ip_endpoint& remote) {
  auto pick = reserved_rtcp_.end();
  for (auto it = reserved_rtcp_.begin(); it != reserved_rtcp_.end(); ++it) {
    const auto& r = slots_.at(*it);
    if (r->type != type || r->internal.family != remote.family) continue;
    const auto owner = slots_.find(r->owner);
    const bool same_remote = owner != slots_.end() && owner->second->handed_out && owner->second->remote.same_ip(remote);
    if (same_remote) {
      pick = it;
      break;  // the RTP mapping of this very stream
    }
    if (pick == reserved_rtcp_.end() && owner != slots_.end() && owner->second->handed_out) pick = it;
  }
  if (pick == reserved_rtcp_.end()) return nullptr;
  auto s = slots_.at(*pick);
  reserved_rtcp_.erase(pick);
  return s;
}

void manager_core::get_mapping(const ip_endpoint& remote, port_type type, clock::time_point deadline, done_fn done) {
  if (stopping_) return done(make_error_code(errc::shutting_down), mapping{});
  if (const auto ec = servers_for(remote.family)) return done(ec, mapping{});
  if (type == port_type::sip && listens_.load(std::memory_order_relaxed) > 0) {
    // A listening SIP socket is shared with outgoing SIP: the Contact then
    // carries the one external address incoming requests can reach.
    for (auto& [id, s] : slots_) {
      if (s->listen_refs > 0 && s->mapped && s->internal.family == remote.family) {
        ++s->use_refs;
        return done({}, snapshot(*s));
      }
    }
  }
  if (opts_.rtp_rtcp_pairs && is_rtcp(type)) {
    if (auto r = take_reserved_rtcp(type, remote)) {
      return map_new(r, deadline, [this, r, remote, done](std::error_code ec, const mapping& m) {
        if (!ec) hand_out(r, remote);
        done(ec, ec ? m : snapshot(*r));
      });
    }
  }
  auto& pool = pool_[static_cast<std::size_t>(type)];
  if (remote.family == ip_family::v4 && !pool.empty()) {
    // Served from the pre-warmed cache: no network round trip.
    const auto s = slots_.at(pool.front());
    pool.pop_front();
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    hand_out(s, remote);
    done({}, snapshot(*s));
    refill(type);
    return;
  }
  std::shared_ptr<slot> s;
  if (const auto ec = open_slot(remote.family, type, std::nullopt, s); ec) return done(ec, mapping{});
  s->remote = remote;
  map_preferred(s, deadline, [this, s, remote, done](std::error_code ec, const mapping& m) {
    if (!ec) hand_out(s, remote);
    done(ec, ec ? m : snapshot(*s));
  });
}

void manager_core::update_remote(const ip_endpoint& remote, const ip_endpoint& internal, const ip_endpoint& external,
                                 clock::time_point deadline, done_fn done) {
  // Identified by the internal endpoint; the external one may be the
  // current or one from before a rebinding (mapping_changed).
  const auto s = find_internal(internal);
  if (!s || !s->known_as(external)) return done(make_error_code(errc::unknown_mapping), mapping{});
  if (remote.family != s->internal.family) return done(make_error_code(errc::family_not_supported), mapping{});
  s->remote = remote;
  ip_endpoint to = remote;
  if (to.port == 0) to.port = s->external.port;
  // The punch: a Binding indication, which gets no response (RFC 8489 §3,
  // indication transactions), so it opens address-dependent filters on our
  // NAT towards the new remote harmlessly.
  std::vector<std::byte> punch;
  build_binding_indication(new_transaction_id(), punch);
  if (const auto ec = s->sock->send(punch, to); ec) return done(make_error_code(errc::socket_error), snapshot(*s));
  auto finished = std::make_shared<bool>(false);
  auto timer = std::make_shared<asio::steady_timer>(io_, deadline);
  timer->async_wait([this, s, finished, done](const boost::system::error_code& ec) {
    if (ec || *finished) return;
    *finished = true;  // the re-check goes on; a change is reported as an event
    done({}, snapshot(*s));
  });
  recheck(s, [this, s, finished, timer, done](std::error_code ec) {
    if (*finished) return;
    *finished = true;
    timer->cancel();
    done(ec, snapshot(*s));
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

void manager_core::destroy(const std::shared_ptr<slot>& s) {
  if (s->dead) return;
  s->dead = true;
  s->keepalive.cancel();
  s->budget.cancel();
  if (const auto it = by_internal_.find(s->internal); it != by_internal_.end() && it->second == s->id) {
    by_internal_.erase(it);
    directory_.remove(s->internal);  // before the close: no send() reaches a reused descriptor
  }
  forget_former_internals(*s);  // re-bound after a network change: its old names
  s->sock->close();
  if (portmap_) portmap_->release(s->id);
  slots_.erase(s->id);
  if (s->handed_out) handed_out_.fetch_sub(1, std::memory_order_relaxed);
  if (s->handed_out && s->attached) attached_.fetch_sub(1, std::memory_order_relaxed);
  if (s->listen_key) listens_.fetch_sub(1, std::memory_order_relaxed);
  auto& pool = pool_[static_cast<std::size_t>(s->type)];
  if (const auto it = std::find(pool.begin(), pool.end(), s->id); it != pool.end()) {
    pool.erase(it);
    pooled_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (const auto it = std::find(reserved_rtcp_.begin(), reserved_rtcp_.end(), s->id); it != reserved_rtcp_.end()) {
    reserved_rtcp_.erase(it);
  }
  // The RTCP port reserved next to this RTP port goes with it, unless it was
  // handed out meanwhile.
  if (s->rtcp_reserved != 0) {
    const auto r = slots_.find(s->rtcp_reserved);
    if (r != slots_.end() && !r->second->handed_out && r->second->owner == s->id) destroy(r->second);
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
  auto s = wrap(fd, local, type);
  map_new(s, deadline, [this, s, remote, done](std::error_code ec, const mapping& m) {
    if (!ec) hand_out(s, remote);
    done(ec, ec ? m : snapshot(*s));
  });
}

void manager_core::attach(int fd, port_type type, const ip_endpoint& remote, clock::time_point deadline,
                          done_fn done) {
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
  auto s = wrap(fd, *local, type, true);
  map_new(s, deadline, [this, s, remote, done](std::error_code ec, const mapping& m) {
    if (!ec) hand_out(s, remote);
    done(ec, ec ? m : snapshot(*s));
  });
}

std::error_code manager_core::detach(const ip_endpoint& internal) {
  const auto s = find_internal(internal);
  if (!s) return make_error_code(errc::unknown_mapping);
  if (!s->attached) return make_error_code(errc::invalid_argument);  // library-owned: release_mapping
  destroy(s);  // stops keep-alives and pending transactions; the descriptor stays open
  return {};
}

void manager_core::deliver(std::uint64_t owner, const ip_endpoint& from, std::span<const std::byte> data) {
  const auto it = slots_.find(owner);
  if (it == slots_.end() || it->second->dead) return;
  it->second->sock->deliver(data, from);
}

mapping manager_core::snapshot(const slot& s) {
  mapping m;
  m.type = s.type;
  m.internal = s.internal;
  m.external = s.external;
  m.server = s.server;
  m.native_handle = s.sock->closed() ? -1 : s.sock->native_handle();
  m.behind_nat = !(s.external == s.internal);
  m.destination_dependent = s.destination_dependent;
  if (s.lease) {
    m.origin = s.lease->origin;
    m.lease_end = s.lease->end;
  }
  return m;
}

void manager_core::start_prewarm() {
  for (std::size_t t = 0; t < port_type_count; ++t) refill(static_cast<port_type>(t));
}

void manager_core::refill(port_type type) {
  const auto t = static_cast<std::size_t>(type);
  while (!stopping_ && !prewarm_off_ && servers_.has_family(ip_family::v4) &&
         pool_[t].size() + pool_inflight_[t] < opts_.prewarm[t]) {
    std::shared_ptr<slot> s;
    if (open_slot(ip_family::v4, type, std::nullopt, s)) return retry_refill(type);
    ++pool_inflight_[t];
    const auto deadline = clock::now() + opts_.call_timeout;
    resolve(s, servers_.candidates(ip_family::v4, clock::now()), 0, {}, deadline,
            [this, s, t, type, deadline](std::error_code ec, const ip_endpoint& mapped, const ip_endpoint& server) {
              if (s->dead) {
                --pool_inflight_[t];
                return;
              }
              if (ec) {
                --pool_inflight_[t];
                destroy(s);
                retry_refill(type);
                return;
              }
              apply_mapping(s, mapped, server);
              const auto keep = [this, s, t] {
                --pool_inflight_[t];
                if (s->dead) return;
                if (s->destination_dependent) {
                  // A mapping learnt towards the server is not the one a
                  // peer will see behind this NAT: GetMapping must make and
                  // check its own (and report destination_dependent_mapping).
                  prewarm_off_ = true;
                  destroy(s);
                  return;
                }
                pool_[t].push_back(s->id);
                pooled_.fetch_add(1, std::memory_order_relaxed);
                schedule_keepalive(s, true);
              };
              // Same check as a fresh GetMapping, so the cache never hands
              // out what GetMapping itself would refuse.
              if (opts_.check_destination_dependence && s->other) return check_dependence(s, deadline, keep);
              keep();
            });
  }
}

void manager_core::retry_refill(port_type type) {
  auto& timer = refill_retry_[static_cast<std::size_t>(type)];
  if (stopping_ || timer) return;
  timer = std::make_unique<asio::steady_timer>(io_, std::chrono::seconds(1));
  timer->async_wait([this, type](const boost::system::error_code& ec) {
    if (ec) return;
    refill_retry_[static_cast<std::size_t>(type)].reset();
    refill(type);
  });
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
