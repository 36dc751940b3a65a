// manager_core: StartListen / StopListen, reference-counted listen sockets.
#include "manager_core.hpp"
#include "pinhole/errors.hpp"

namespace pinhole::client {

void manager_core::start_listen(const ip_endpoint& internal, clock::time_point deadline, const done_fn& done) {
  if (stopping_) return done(make_error_code(errc::shutting_down), mapping{});
  if (internal.port != 0) {
    for (auto& [id, s] : slots_) {
      if (s->listen_key && (*s->listen_key == internal || s->internal == internal)) {
        // Same address again: one more reference, same mapping.
        ++s->listen_refs;
        return done({}, snapshot(*s));
      }
    }
  }
  if (const auto ec = servers_for(internal.family)) return done(ec, mapping{});
  std::shared_ptr<slot> s;
  if (const auto ec = open_slot(internal.family, port_type::sip, internal, s); ec) return done(ec, mapping{});
  s->listen_key = internal;
  listens_.fetch_add(1, std::memory_order_relaxed);
  map_preferred(s, deadline, [this, s, done](std::error_code ec, const mapping& m) {
    if (ec) return done(ec, m);
    enter(*s, slot_state::listening);
    s->listen_refs = 1;
    by_internal_[s->internal] = s->id;
    directory_.add(s->internal, s->sock->native_handle());
    schedule_keepalive(s, true);
    done({}, snapshot(*s));
  });
}

std::error_code manager_core::stop_listen(const ip_endpoint& internal) {
  for (auto& [id, s] : slots_) {
    if (!s->listen_key || s->listen_refs == 0) continue;
    if (*s->listen_key == internal || s->internal == internal) {
      // "until stopped and unused": the socket stays while GetMapping(SIP)
      // users still hold it.
      if (--s->listen_refs == 0 && s->use_refs == 0) destroy(s);
      return {};
    }
  }
  return make_error_code(errc::not_listening);
}

}  // namespace pinhole::client
