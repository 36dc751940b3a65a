// manager_core: Binding with server failover, keep-alives that detect a
// changed or lost mapping (re-checked the way it was made: slot::origin),
// and event delivery.
#include <unistd.h>

#include <algorithm>

#include "manager_core.hpp"
#include "pinhole/errors.hpp"
#include "random.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

void manager_core::bind_with_failover(const std::shared_ptr<slot>& s, std::vector<ip_endpoint> candidates,
                                      std::size_t i, std::error_code last, clock::time_point deadline,
                                      resolved_fn done) {
  if (s->released()) return;
  const auto now = clock::now();
  if (i >= candidates.size() || now >= deadline) {
    // Every server failed: their addresses may be stale. Ask DNS again soon.
    if (servers_exhausted_) servers_exhausted_();
    done(last ? last : make_error_code(i >= candidates.size() ? errc::no_servers : errc::timeout), {}, {});
    return;
  }
  auto params = params_for(candidates[i]);  // before the lambda below takes `candidates`
  // This server's share of what is left of the budget: the first of two
  // servers gets half, so a silent one leaves the other room to answer.
  params.give_up = now + (deadline - now) / static_cast<int>(candidates.size() - i);
  s->sock->binding(params, [this, s, candidates = std::move(candidates), i, deadline, done = std::move(done)](
                               std::error_code ec, const binding_result& r) mutable {
    if (s->released()) return;
    const auto server = candidates[i];
    if (!ec && r.success) {
      server_ok(server);
      s->other = r.other;
      done({}, r.mapped, server);
      return;
    }
    if (!ec && r.error_code == 300 && r.alternate_server && r.alternate_server->family == s->internal.family &&
        candidates.size() < 16 &&
        std::find(candidates.begin(), candidates.end(), *r.alternate_server) == candidates.end()) {
      // RFC 8489 §10: 300 (Try Alternate) names another server in
      // ALTERNATE-SERVER; ask it next (at most a few redirections, no loops).
      const auto next = candidates.begin() + static_cast<std::ptrdiff_t>(i) + 1;
      candidates.insert(next, *r.alternate_server);
      bind_with_failover(s, std::move(candidates), i + 1, make_error_code(errc::server_error), deadline,
                         std::move(done));
      return;
    }
    if (!ec) {
      // An error response is a real answer from a live server. A 5xx
      // (RFC 8489 §6.3.4: server trouble, the request may be retried) fails
      // over; other codes are final (401: our credentials are not accepted).
      if (r.error_code < 500) {
        done(make_error_code(r.error_code == 401 ? errc::integrity_failure : errc::server_error), {}, server);
        return;
      }
      ec = make_error_code(errc::server_error);
    } else if (ec == errc::shutting_down) {
      done(ec, {}, server);
      return;
    } else if (ec == errc::timeout && s->sock->rejected() > 0) {
      ec = make_error_code(errc::bad_response);
    }
    server_failed(server, ec);
    bind_with_failover(s, std::move(candidates), i + 1, ec, deadline, std::move(done));
  });
}

void manager_core::server_ok(const ip_endpoint& server) {
  if (!servers_.mark_ok(server)) return;
  event e;
  e.type = event_type::server_recovered;
  e.server = server;
  emit(e);
  // Mappings reported lost need not wait for their next keep-alive.
  std::vector<std::shared_ptr<slot>> lost;
  for (const auto& [id, sl] : slots_) {
    if (sl->lost() && !sl->checking) lost.push_back(sl);
  }
  for (const auto& sl : lost) recheck_now(sl);
}

void manager_core::server_failed(const ip_endpoint& server, std::error_code why) {
  if (servers_.mark_failed(server, clock::now())) {
    event e;
    e.type = event_type::server_unreachable;
    e.server = server;
    e.error = why;
    emit(e);
  }
  schedule_probe();
}

void manager_core::schedule_probe() {
  if (stopping_) return;
  const auto next = servers_.next_probe();
  if (!next) return;
  probe_timer_.expires_at(*next);
  probe_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    for (const auto& server : servers_.probe_due(clock::now())) probe(server);
  });
}

void manager_core::probe(const ip_endpoint& server) {
  // One Binding request from a throw-away socket, so no call ever pays for
  // finding out whether a down server is back. The next probe of this
  // server is pushed out by one back-off step at once (the failure count
  // goes up now, and back to zero if it answers).
  servers_.mark_failed(server, clock::now());
  std::error_code ec;
  const int fd = open_udp(server.family, ec);
  if (fd < 0 || bind_udp(fd, ip_endpoint::any(server.family))) {
    if (fd >= 0) ::close(fd);
    return schedule_probe();
  }
  auto sock = std::make_shared<mapped_socket>(io_, fd, ip_endpoint::any(server.family), rx_, counters_);
  sock->start();
  probes_.push_back(sock);
  auto params = params_for(server);
  params.give_up = clock::now() + opts_.call_timeout;
  sock->binding(params, [this, sock, server](std::error_code e, const binding_result&) {
    sock->close();
    probes_.erase(std::remove(probes_.begin(), probes_.end(), sock), probes_.end());
    if (stopping_) return;
    // Any answer, even an error response, shows the server is up again.
    if (!e) server_ok(server);
    schedule_probe();
  });
  schedule_probe();
}

void manager_core::recheck(const std::shared_ptr<slot>& s, std::function<void(std::error_code)> done) {
  switch (s->origin) {
    case mapping_origin::stun:
    case mapping_origin::pcp:     // the STUN answer confirms the lease's address
    case mapping_origin::natpmp:  // (keep_explicit) or replaces the lease
    case mapping_origin::upnp: return recheck_stun(s, std::move(done));
    case mapping_origin::turn:
      // The relayed address is the TURN server's: a Binding would not
      // confirm it. The allocation's Refreshes do (a failed one is
      // mapping_lost, turn_mapping.cpp).
      return done({});
  }
}

void manager_core::recheck_stun(const std::shared_ptr<slot>& s, std::function<void(std::error_code)> done) {
  // The server that made the mapping first (the NAT binding is towards it),
  // then the others in failover order; one call budget for all of them.
  std::vector<ip_endpoint> candidates{s->server};
  for (const auto& c : servers_.candidates(s->internal.family, clock::now())) {
    if (!(c == s->server)) candidates.push_back(c);
  }
  bind_with_failover(
      s, std::move(candidates), 0, {}, clock::now() + opts_.call_timeout,
      [this, s, done = std::move(done)](std::error_code ec, const ip_endpoint& mapped, const ip_endpoint& server) {
        if (s->released()) return;
        if (ec) {
          if (ec != errc::shutting_down && !s->lost() && s->visible()) report_lost(s, ec);
          done(ec);
          return;
        }
        const bool was_lost = s->lost();
        apply_mapping(s, mapped, server, mapping_origin::stun);
        if (was_lost && s->visible()) {
          event e;
          e.type = event_type::mapping_restored;
          e.current = snapshot(*s);
          e.server = server;
          emit(e);
        }
        done({});
      });
}

void manager_core::apply_mapping(const std::shared_ptr<slot>& s, const ip_endpoint& mapped, const ip_endpoint& server,
                                 mapping_origin how) {
  if (keep_explicit(s, mapped, server)) return;
  const auto previous = s->external;
  if (s->learn(mapped, server, how) && s->visible()) report_changed(s, previous, server);
}

void manager_core::schedule_keepalive(const std::shared_ptr<slot>& s, bool first) {
  if (stopping_ || s->released()) return;
  auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.keepalive_interval);
  if (interval <= std::chrono::milliseconds::zero()) return;  // keep-alives disabled
  // An explicit port mapping holds the NAT binding by itself: its check
  // only looks for changes, so it comes far less often.
  if (s->lease) interval = std::max(interval, opts_.explicit_keepalive_interval);
  if (first && interval.count() >= 10) {
    // Spread the first keep-alives of many mappings over 10% of the
    // interval so 10,000 mappings do not refresh in one burst.
    interval -= std::chrono::milliseconds(random_below(static_cast<std::uint32_t>(interval.count() / 10)));
  }
  arm_keepalive(s, interval);
}

void manager_core::arm_keepalive(const std::shared_ptr<slot>& s, clock::duration after) {
  s->keepalive.expires_after(after);
  s->keepalive.async_wait([this, s](const boost::system::error_code& ec) {
    if (ec || s->released() || stopping_) return;
    if (const auto wait = keepalive_due_in(*s); wait > clock::duration::zero()) {
      keepalives_skipped_.fetch_add(1, std::memory_order_relaxed);
      return arm_keepalive(s, wait);
    }
    run_check(s);
  });
}

void manager_core::recheck_now(const std::shared_ptr<slot>& s) {
  if (s->released() || s->checking) return;
  s->keepalive.cancel();
  run_check(s);
}

void manager_core::recheck_all() {
  std::vector<std::shared_ptr<slot>> visible;
  for (const auto& [id, sl] : slots_) {
    if (sl->visible()) visible.push_back(sl);
  }
  for (const auto& sl : visible) recheck_now(sl);
}

manager_core::clock::duration manager_core::keepalive_due_in(const slot& s) const {
  if (!opts_.skip_keepalive_on_traffic || s.lost() || s.lease) return clock::duration::zero();
  // RFC 4787 §4.3: "REQ-6: The NAT mapping Refresh Direction MUST have a
  // "NAT Outbound refresh behavior" of "True"." The application's own
  // datagrams out of this socket refresh the binding as a keep-alive would.
  auto last = directory_.last_send(s.internal);
  for (const auto& name : s.former_internals) last = std::max(last, directory_.last_send(name));
  if (last == clock::time_point{}) return clock::duration::zero();
  const auto due = last + std::chrono::duration_cast<clock::duration>(opts_.keepalive_interval);
  const auto now = clock::now();
  return due > now ? due - now : clock::duration::zero();
}

void manager_core::run_check(const std::shared_ptr<slot>& s) {
  if (s->released() || stopping_) return;
  if (s->checking) return schedule_keepalive(s, false);
  s->checking = true;
  recheck(s, [this, s](std::error_code result) {
    s->checking = false;
    if (s->released()) return;
    if (!result) keepalives_.fetch_add(1, std::memory_order_relaxed);
    schedule_keepalive(s, false);
  });
}

void manager_core::report_lost(const std::shared_ptr<slot>& s, std::error_code why) {
  s->health = mapping_health::lost;
  event e;
  e.type = event_type::mapping_lost;
  e.current = snapshot(*s);
  e.server = s->server;
  e.error = why;
  emit(e);
}

void manager_core::report_changed(const std::shared_ptr<slot>& s, const ip_endpoint& previous,
                                  const ip_endpoint& server) {
  event e;
  e.type = event_type::mapping_changed;
  e.current = snapshot(*s);
  e.previous_external = previous;
  e.server = server;
  emit(e);
}

void manager_core::emit(const event& e) {
  if (!opts_.on_event) return;
  try {
    opts_.on_event(e);
  } catch (...) {
    // The handler's exceptions stay out of the event loop.
  }
}

}  // namespace pinhole::client
