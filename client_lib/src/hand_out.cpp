// manager_core: handing a mapping to the application (mapping or pooled ->
// handed_out), the RTCP ports reserved next to RTP ones, and the mapping
// value the application sees.
#include "manager_core.hpp"

namespace pinhole::client {

void manager_core::map_and_hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote,
                                    clock::time_point deadline, done_fn done, bool gateway_first) {
  auto then = [this, s, remote, done = std::move(done)](std::error_code ec, const mapping& m) {
    if (!ec) hand_out(s, remote);
    done(ec, ec ? m : snapshot(*s));
  };
  if (gateway_first) return map_preferred(s, deadline, std::move(then));
  map_new(s, deadline, std::move(then));
}

void manager_core::hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote) {
  enter(*s, slot_state::handed_out);
  s->remote = remote;
  by_internal_[s->internal] = s->id;
  directory_.add(s->internal, s->sock->native_handle());
  if (!s->relay) schedule_keepalive(s, true);  // a relay is kept alive by its Refreshes
}

std::shared_ptr<slot> manager_core::take_reserved_rtcp(port_type type, const ip_endpoint& remote) {
  auto pick = reserved_rtcp_.end();
  for (auto it = reserved_rtcp_.begin(); it != reserved_rtcp_.end(); ++it) {
    const auto& r = slots_.at(*it);
    if (r->type != type || r->internal.family != remote.family) continue;
    const auto owner = slots_.find(r->owner);
    const bool owner_out = owner != slots_.end() && owner->second->state == slot_state::handed_out;
    if (owner_out && owner->second->remote.same_ip(remote)) {
      pick = it;
      break;  // the RTP mapping of this very stream
    }
    if (pick == reserved_rtcp_.end() && owner_out) pick = it;
  }
  if (pick == reserved_rtcp_.end()) return nullptr;
  auto s = slots_.at(*pick);
  reserved_rtcp_.erase(pick);
  enter(*s, slot_state::mapping);
  return s;
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
  m.origin = s.origin;  // stun, the lease's protocol, or turn
  if (s.lease) m.lease_end = s.lease->end;
  return m;
}

}  // namespace pinhole::client
