// manager_core: the first mapping of a new slot. A Binding with failover
// within the call's deadline, then (RFC 5780) the destination-dependence
// check; the slot stays in state `mapping` until the caller moves it on.
#include "first_answer.hpp"
#include "manager_core.hpp"
#include "pinhole/errors.hpp"

namespace pinhole::client {

void manager_core::map_new(const std::shared_ptr<slot>& s, clock::time_point deadline, const done_fn& done) {
  const auto race = first_answer::race(s->budget, deadline, [this, s, done] {
    if (s->mapped()) {
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
  bind_with_failover(
      s, servers_.candidates(s->internal.family, clock::now()), 0, {}, deadline,
      [this, s, race, deadline, done](std::error_code ec, const ip_endpoint& mapped, const ip_endpoint& server) {
        if (race->decided()) return;
        if (ec) {
          race->claim();
          destroy(s);
          done(ec, mapping{});
          return;
        }
        apply_mapping(s, mapped, server, mapping_origin::stun);
        if (s->lease) {  // a verified explicit mapping: reachable from anyone, no dependence check
          race->claim();
          return done({}, snapshot(*s));
        }
        const auto finish = [this, s, race, done] {
          if (!race->claim()) return;
          if (s->destination_dependent) {
            const auto seen = snapshot(*s);
            destroy(s);
            done(make_error_code(errc::destination_dependent_mapping), seen);
            return;
          }
          done({}, snapshot(*s));
        };
        if (opts_.check_destination_dependence && s->other) return check_dependence(s, deadline, finish);
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
    if (s->released()) return;
    if (!ec && r.success) s->destination_dependent = !(r.mapped == s->external);
    done();
  });
}

}  // namespace pinhole::client
