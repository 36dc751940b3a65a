// manager_core: the pre-warmed cache. Mappings made in advance (mapping ->
// pooled) so GetMapping can answer without a round trip; refilled as they
// are taken, retried after a second when a socket cannot be had.
#include "manager_core.hpp"

namespace pinhole::client {

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
    bind_with_failover(
        s, servers_.candidates(ip_family::v4, clock::now()), 0, {}, deadline,
        [this, s, t, type, deadline](std::error_code ec, const ip_endpoint& mapped, const ip_endpoint& server) {
          if (s->released()) {
            --pool_inflight_[t];
            return;
          }
          if (ec) {
            --pool_inflight_[t];
            destroy(s);
            retry_refill(type);
            return;
          }
          apply_mapping(s, mapped, server, mapping_origin::stun);
          const auto keep = [this, s, t] {
            --pool_inflight_[t];
            if (s->released()) return;
            if (s->destination_dependent) {
              // A mapping learnt towards the server is not the one a
              // peer will see behind this NAT: GetMapping must make and
              // check its own (and report destination_dependent_mapping).
              prewarm_off_ = true;
              destroy(s);
              return;
            }
            enter(*s, slot_state::pooled);
            pool_[t].push_back(s->id);
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

}  // namespace pinhole::client
