#include "runtime.hpp"

#include <sys/random.h>
#include <sys/socket.h>

#include "stun/integrity.hpp"

namespace pinhole::daemon {

namespace {

std::uint64_t random_seed() noexcept {
  std::uint64_t seed = 0;
  if (::getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) {
    seed = monotonic_ns() ^ reinterpret_cast<std::uintptr_t>(&seed);
  }
  return seed;
}

}  // namespace

std::shared_ptr<const runtime_state> make_runtime_state(const config& cfg, const std::vector<listener>& listeners,
                                                        const runtime_state* previous, bool drop_all) {
  auto s = std::make_shared<runtime_state>();
  s->cfg = cfg;
  s->drop_all = drop_all;
  std::string ignored;
  (void)acl::build(cfg.allow, s->allow, ignored);  // cfg is validated: prefixes parse
  const auto& rl = cfg.rate_limit;
  const bool same_limits = previous != nullptr && previous->cfg.rate_limit == rl;
  if (same_limits) {
    s->per_source = previous->per_source;
    s->global = previous->global;
  } else {
    if (rl.per_ip_rate > 0) {
      s->per_source = std::make_shared<rate_limiter>(rl.per_ip_rate, rl.per_ip_burst, rl.table_size, random_seed());
    }
    if (rl.global_rate > 0) s->global = std::make_shared<global_limiter>(rl.global_rate, 0);
  }
  handler_config& h = s->handler;
  h.software = s->cfg.software;
  h.auth_required = s->cfg.auth.required;
  h.username = s->cfg.auth.username;
  h.key = stun::short_term_key(s->cfg.auth.password);
  if (cfg.rfc5780.enabled) {
    bool have[4] = {false, false, false, false};
    for (const auto& l : listeners) {
      if (l.role == socket_role::single) continue;
      const auto idx = static_cast<std::size_t>(l.role);
      h.role_address[idx] = l.bound;
      have[idx] = true;
    }
    // Advertised addresses (server behind a 1:1 NAT, as on cloud VMs): what
    // clients must see in RESPONSE-ORIGIN / OTHER-ADDRESS.
    const auto advertise = [&](std::size_t idx, const std::string& ip) {
      if (ip.empty()) return;
      if (auto a = stun::transport_address::parse_ip(ip, h.role_address[idx].port)) h.role_address[idx] = *a;
    };
    advertise(0, cfg.rfc5780.advertised_primary_ip);
    advertise(1, cfg.rfc5780.advertised_primary_ip);
    advertise(2, cfg.rfc5780.advertised_alternate_ip);
    advertise(3, cfg.rfc5780.advertised_alternate_ip);
    // RFC 5780 §6: OTHER-ADDRESS only when a real second IP and port exist.
    h.rfc5780 = have[0] && have[1] && have[2] && have[3];
  }
  return s;
}

}  // namespace pinhole::daemon
