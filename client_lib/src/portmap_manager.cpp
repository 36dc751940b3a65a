#include "portmap_manager.hpp"

#include <algorithm>

#include "gateways.hpp"
#include "natpmp_codec.hpp"
#include "pinhole/errors.hpp"
#include "random.hpp"

namespace pinhole::client {

namespace {
constexpr std::uint32_t max_renewal_lifetime = 86400;  // an "unbounded" lease is still renewed daily

bool listed(const options& o, mapping_origin p) {
  return std::find(o.port_mapping.begin(), o.port_mapping.end(), p) != o.port_mapping.end();
}

std::vector<ip_endpoint> configured_gateways(const options& o) {
  std::vector<ip_endpoint> out;
  for (const auto& text : o.portmap_gateways) {
    auto e = ip_endpoint::parse(text, true);
    if (!e) continue;
    if (e->port == 0) e->port = portmap::server_port;
    out.push_back(*e);
  }
  if (!o.portmap_gateways.empty()) return out;
  for (auto e : default_gateways()) {
    e.port = portmap::server_port;
    out.push_back(e);
  }
  return out;
}

portmap::pcp_nonce new_nonce() {
  // RFC 6887 §11.1: the Mapping Nonce is random and kept for the life of
  // the mapping (renewals and the deletion repeat it).
  portmap::pcp_nonce n{};
  for (auto& b : n) b = static_cast<std::uint8_t>(random_below(256));
  return n;
}

std::chrono::system_clock::time_point lease_end(std::uint32_t lifetime) {
  return std::chrono::system_clock::now() + std::chrono::seconds(lifetime);
}
}  // namespace

portmap_manager::portmap_manager(asio::io_context& io, const options& opts, change_fn on_change,
                                 std::shared_ptr<upnp::backend> upnp_backend)
    : io_(io), opts_(opts), on_change_(std::move(on_change)) {
  opts_.on_event = nullptr;  // never called from here
  opts_.on_datagram = nullptr;
  if (listed(opts_, mapping_origin::upnp)) {
    if (!upnp_backend) upnp_backend = upnp::make_miniupnpc_backend();
    upnp_ = std::make_unique<upnp_client>(io_, std::move(upnp_backend),
                                          upnp_client::settings{opts_.portmap_upnp_timeout, opts_.portmap_lifetime},
                                          [this](std::uint64_t key, std::error_code ec, const portmap_lease& l) {
                                            if (on_change_) on_change_(key, ec, l);
                                          });
  }
  reprobe();
}

portmap_manager::~portmap_manager() {
  try {
    shutdown();
  } catch (...) {
    // asio's cancel() and close() throw only if the reactor fails; a destructor must not throw.
  }
}

void portmap_manager::reprobe() {
  if (stopped_) return;
  const auto round = ++round_;
  for (auto& p : probes_) p->cancel();  // a new round replaces the old one
  probes_.clear();
  std::vector<gateway_info> fresh;
  for (const auto& g : configured_gateways(opts_)) {
    gateway_info info;
    info.address = g;
    // Keep what is known of a gateway that is still there (its epoch).
    for (const auto& old : gateways_) {
      if (old.address == g) info = old;
    }
    info.probed = false;
    fresh.push_back(info);
  }
  gateways_ = std::move(fresh);
  for (std::size_t i = 0; i < gateways_.size(); ++i) probe_gateway(i, round);
  if (upnp_) {
    // In parallel with PCP and NAT-PMP, bounded by portmap_upnp_timeout
    // (the discovery itself blocks the UPnP worker thread, not this one).
    ++probes_in_flight_;
    upnp_->probe([this, round] {
      --probes_in_flight_;
      if (probes_in_flight_ == 0) probe_finished(round);
    });
  }
  if (probes_in_flight_ == 0) probe_finished(round);
}

void portmap_manager::probe_gateway(std::size_t index, std::uint64_t round) {
  const auto deadline = clock::now() + opts_.portmap_timeout;
  const auto gw = gateways_[index].address;
  auto start = [&](std::vector<std::byte> req_bytes,
                   const std::function<bool(std::size_t, gateway_info&, std::span<const std::byte>)>& on) {
    std::error_code ec;
    auto ex = std::make_shared<portmap_exchange>(io_, gw, ec);
    if (ec) return;
    if (req_bytes.empty()) {  // PCP: the client address is the socket's own
      req_bytes.resize(portmap::pcp_header_size);
      portmap::encode_pcp_announce(ex->local(), std::span<std::byte, portmap::pcp_header_size>(req_bytes));
    }
    ++probes_in_flight_;
    probes_.push_back(ex);
    ex->run(
        std::move(req_bytes), deadline, opts_.portmap_timeout,
        [this, index, round, on](std::span<const std::byte> d) {
          return round == round_ && index < gateways_.size() && on(index, gateways_[index], d);
        },
        [this, round](std::error_code) {
          --probes_in_flight_;
          if (probes_in_flight_ == 0) probe_finished(round);
        });
  };
  if (listed(opts_, mapping_origin::pcp)) {
    start({}, [this](std::size_t idx, gateway_info& g, std::span<const std::byte> d) {
      portmap::pcp_header h;
      if (decode_pcp_header(d, h)) return false;
      if (h.version != portmap::pcp_version) return true;  // an older server: not PCP
      // RFC 6887 §14.1: ANNOUNCE is answered with SUCCESS (or an error
      // that still proves a PCP server is there).
      g.pcp = h.result == portmap::pcp_result::success || h.result == portmap::pcp_result::unsupp_opcode;
      if (epoch_lost(g, h.epoch)) on_state_lost(idx, 0);  // restarted since we last asked
      return true;
    });
  }
  if (listed(opts_, mapping_origin::natpmp) && gw.family == ip_family::v4) {
    std::vector<std::byte> req(portmap::natpmp_address_request_size);
    portmap::encode_natpmp_address_request(std::span<std::byte, portmap::natpmp_address_request_size>(req));
    start(std::move(req), [this](std::size_t idx, gateway_info& g, std::span<const std::byte> d) {
      portmap::natpmp_response r;
      if (decode_natpmp_response(d, portmap::natpmp_op::external_address, r)) return false;
      if (r.result == portmap::natpmp_result::success) {
        g.natpmp = true;
        ip_endpoint ext;
        std::copy(r.external_ip.begin(), r.external_ip.end(), ext.ip.begin());
        g.external = ext;
        if (epoch_lost(g, r.epoch)) on_state_lost(idx, 0);
      }
      return true;
    });
  }
}

void portmap_manager::probe_finished(std::uint64_t round) {
  if (round != round_) return;
  for (auto& g : gateways_) g.probed = true;
  probes_.clear();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& fn : waiting) fn();
}

void portmap_manager::when_probed(std::function<void()> fn) {
  if (probes_in_flight_ == 0 || stopped_) return fn();
  waiting_.push_back(std::move(fn));
}

bool portmap_manager::offers(ip_family fam) const {
  if (upnp_ && upnp_->offers(fam)) return true;
  return std::any_of(gateways_.begin(), gateways_.end(),
                     [fam](const gateway_info& g) { return g.address.family == fam && (g.pcp || g.natpmp); });
}

bool portmap_manager::epoch_lost(gateway_info& g, std::uint32_t epoch) {
  const auto now = clock::now();
  bool lost = false;
  if (g.epoch_known) {
    // RFC 6887 §8.5: with client_delta the client's time and server_delta
    // the Epoch Time elapsed since the previous answer, the server lost its
    // state if its Epoch Time went back by more than 1 s, or if
    // client_delta+2 < server_delta - server_delta/16 or server_delta+2 <
    // client_delta - client_delta/16. (RFC 6886 §3.6 has the same 7/8 rule.)
    const auto client_delta =
        static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(now - g.epoch_at).count());
    const auto server_delta = static_cast<std::int64_t>(epoch) - static_cast<std::int64_t>(g.epoch);
    lost = server_delta < -1 || client_delta + 2 < server_delta - server_delta / 16 ||
           server_delta + 2 < client_delta - client_delta / 16;
  }
  g.epoch = epoch;
  g.epoch_at = now;
  g.epoch_known = true;
  return lost;
}

std::optional<std::size_t> portmap_manager::gateway_index(const ip_endpoint& gw) const {
  for (std::size_t i = 0; i < gateways_.size(); ++i) {
    if (gateways_[i].address == gw) return i;
  }
  return std::nullopt;
}

void portmap_manager::request(mapping_origin proto, std::size_t gw, const ip_endpoint& internal,
                              const portmap::pcp_nonce& nonce, std::uint16_t suggested_port, std::uint32_t lifetime,
                              clock::time_point deadline, std::shared_ptr<portmap_exchange>* hold, result_fn done) {
  std::error_code ec;
  const auto gateway = gateways_[gw].address;
  auto ex = std::make_shared<portmap_exchange>(io_, gateway, ec);
  if (ec) return done(ec, portmap_lease{});
  // The gateway maps the address it sees the request from; a socket bound
  // elsewhere cannot be mapped this way.
  if (!internal.is_unspecified() && !ex->local().same_ip(internal)) {
    return done(make_error_code(errc::invalid_argument), portmap_lease{});
  }
  if (hold) *hold = ex;
  auto lease = std::make_shared<portmap_lease>();
  lease->origin = proto;
  lease->gateway = gateway;
  lease->internal = ip_endpoint{ex->local().family, ex->local().ip, internal.port};
  auto result = std::make_shared<std::error_code>();
  std::vector<std::byte> bytes;
  std::function<bool(std::span<const std::byte>)> accept;
  if (proto == mapping_origin::pcp) {
    portmap::pcp_map_request req;
    req.lifetime = lifetime;
    req.client = ex->local();
    req.nonce = nonce;
    req.internal_port = internal.port;
    req.suggested = ip_endpoint::any(internal.family, suggested_port);
    bytes.resize(portmap::pcp_map_request_size);
    encode_pcp_map_request(req, std::span<std::byte, portmap::pcp_map_request_size>(bytes));
    accept = [this, req, gw, lease, result](std::span<const std::byte> d) {
      portmap::pcp_map_response r;
      if (decode_pcp_map_response(d, req, r)) return false;
      if (r.result != portmap::pcp_result::success) {
        *result = make_error_code(errc::server_error);
        return true;
      }
      if (gw < gateways_.size() && epoch_lost(gateways_[gw], r.epoch)) on_state_lost(gw, 0);
      lease->external = r.external;
      lease->lifetime = r.lifetime;
      return true;
    };
  } else {
    portmap::natpmp_map_request req{internal.port, suggested_port, lifetime};
    bytes.resize(portmap::natpmp_map_request_size);
    encode_natpmp_map_request(req, std::span<std::byte, portmap::natpmp_map_request_size>(bytes));
    const auto ext_ip = gateways_[gw].external;
    accept = [this, req, gw, lease, result, ext_ip](std::span<const std::byte> d) {
      portmap::natpmp_response r;
      if (decode_natpmp_response(d, portmap::natpmp_op::map_udp, r)) return false;
      if (r.result != portmap::natpmp_result::success) {
        *result = make_error_code(errc::server_error);
        return true;
      }
      if (r.internal_port != req.internal_port) return false;  // an answer for another mapping
      if (req.lifetime != 0 && (r.external_port == 0 || !ext_ip)) {
        *result = make_error_code(errc::bad_response);
        return true;
      }
      if (gw < gateways_.size() && epoch_lost(gateways_[gw], r.epoch)) on_state_lost(gw, 0);
      if (ext_ip) lease->external = ip_endpoint{ip_family::v4, ext_ip->ip, r.external_port};
      lease->lifetime = r.lifetime;
      return true;
    };
  }
  ex->run(std::move(bytes), deadline, opts_.portmap_timeout, std::move(accept),
          [ex, lease, result, lifetime, done = std::move(done)](std::error_code e) {
            auto r = e ? e : *result;
            if (!r && lifetime != 0 && lease->lifetime == 0) r = make_error_code(errc::bad_response);
            if (r && ex->rejected() > 0 && r == errc::timeout) r = make_error_code(errc::bad_response);
            lease->end = lease_end(std::min(lease->lifetime, max_renewal_lifetime));
            done(r, *lease);
          });
}

void portmap_manager::map(std::uint64_t key, const ip_endpoint& internal, clock::time_point deadline,
                          const map_done& done) {
  if (stopped_) return done(make_error_code(errc::shutting_down), portmap_lease{});
  std::vector<std::pair<mapping_origin, std::size_t>> order;
  for (const auto proto : opts_.port_mapping) {
    if (proto == mapping_origin::upnp && upnp_ && upnp_->offers(internal.family)) order.emplace_back(proto, 0);
    for (std::size_t i = 0; i < gateways_.size(); ++i) {
      const auto& g = gateways_[i];
      if (g.address.family != internal.family) continue;
      if ((proto == mapping_origin::pcp && g.pcp) || (proto == mapping_origin::natpmp && g.natpmp))
        order.emplace_back(proto, i);
    }
  }
  try_next(key, internal, std::move(order), 0, deadline, done, {});
}

void portmap_manager::try_next(std::uint64_t key, const ip_endpoint& internal,
                               std::vector<std::pair<mapping_origin, std::size_t>> order, std::size_t i,
                               clock::time_point deadline, const map_done& done, std::error_code last) {
  if (i >= order.size()) return done(last ? last : make_error_code(errc::timeout), portmap_lease{});
  const auto [proto, gw] = order[i];
  if (proto == mapping_origin::upnp) {
    // upnp_client keeps, renews and deletes its own leases.
    const auto budget =
        std::min(deadline, clock::now() + std::max(3 * opts_.portmap_timeout, opts_.portmap_upnp_timeout));
    return upnp_->map(key, internal, budget,
                      [this, key, internal, order, i, deadline, done](std::error_code ec, const portmap_lease& lease) {
                        if (stopped_) return done(make_error_code(errc::shutting_down), lease);
                        if (ec) return try_next(key, internal, order, i + 1, deadline, done, ec);
                        done({}, lease);
                      });
  }
  auto l = std::make_shared<lease_state>(io_);
  l->key = key;
  l->nonce = new_nonce();
  // The gateway answered the probe: a few retransmissions are enough, the
  // rest of the budget stays for STUN.
  const auto budget = std::min(deadline, clock::now() + 3 * opts_.portmap_timeout);
  request(proto, gw, internal, l->nonce, 0, opts_.portmap_lifetime, budget, &l->ex,
          [this, l, key, internal, order, i, deadline, done](std::error_code ec, const portmap_lease& lease) {
            if (stopped_) return done(make_error_code(errc::shutting_down), lease);
            if (ec) return try_next(key, internal, order, i + 1, deadline, done, ec);
            l->lease = lease;
            l->ex.reset();
            leases_[key] = l;
            schedule_renewal(l);
            done({}, lease);
          });
}

void portmap_manager::schedule_renewal(const std::shared_ptr<lease_state>& l) {
  // RFC 6886 §3.3: the client should begin trying to renew the mapping
  // halfway to its expiry; RFC 6887 §11.2.1: renew at 1/2 to 5/8 of the
  // lifetime.
  const auto lifetime = std::min(l->lease.lifetime, max_renewal_lifetime);
  const auto half =
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(lifetime * 500U), std::chrono::milliseconds(500));
  l->timer.expires_after(half);
  l->timer.async_wait([this, l](const boost::system::error_code& ec) {
    if (!ec && !stopped_) renew(l);
  });
}

void portmap_manager::renew(const std::shared_ptr<lease_state>& l) {
  if (l->renewing) return;
  const auto gw = gateway_index(l->lease.gateway);
  const auto now_sys = std::chrono::system_clock::now();
  if (!gw || now_sys >= l->lease.end) {
    // The gateway went away (network change) or never answered in time.
    leases_.erase(l->key);
    if (on_change_) on_change_(l->key, make_error_code(errc::timeout), l->lease);
    return;
  }
  l->renewing = true;
  const auto left = std::chrono::duration_cast<clock::duration>(l->lease.end - now_sys);
  const auto deadline = clock::now() + std::min<clock::duration>(left, std::chrono::seconds(5));
  request(l->lease.origin, *gw, l->lease.internal, l->nonce, l->lease.external.port, opts_.portmap_lifetime, deadline,
          &l->ex, [this, l](std::error_code ec, const portmap_lease& now) {
            l->renewing = false;
            l->ex.reset();
            if (stopped_ || leases_.find(l->key) == leases_.end()) return;
            if (ec) {
              // Try again soon until the lease runs out.
              l->timer.expires_after(std::chrono::seconds(1));
              l->timer.async_wait([this, l](const boost::system::error_code& e) {
                if (!e && !stopped_) renew(l);
              });
              return;
            }
            ++renewals_;
            const bool moved = !(now.external == l->lease.external);
            l->lease = now;
            schedule_renewal(l);
            if (on_change_) on_change_(l->key, {}, now);  // new lease end, maybe a new address
            (void)moved;
          });
}

void portmap_manager::on_state_lost(std::size_t gw, std::uint64_t except) {
  // RFC 6887 §8.5: after a loss of state the client re-creates its
  // mappings at once (RFC 6886 §3.6: it renews all its leases immediately).
  for (auto& [key, l] : leases_) {
    if (key == except || l->renewing || !(l->lease.gateway == gateways_[gw].address)) continue;
    ++recreations_;
    l->timer.cancel();
    asio::post(io_, [this, l = l] {
      if (!stopped_) renew(l);
    });
  }
}

void portmap_manager::release(std::uint64_t key) {
  if (upnp_ && upnp_->holds(key)) return upnp_->release(key);
  const auto it = leases_.find(key);
  if (it == leases_.end()) return;
  auto l = it->second;
  leases_.erase(it);
  l->timer.cancel();
  if (l->ex) l->ex->cancel();
  const auto gw = gateway_index(l->lease.gateway);
  if (!gw) return;
  // RFC 6886 §3.4 / RFC 6887 §15: a request with lifetime 0 deletes the
  // mapping (PCP: same nonce, protocol and internal port).
  const auto deadline = clock::now() + (stopped_ ? std::chrono::milliseconds(0) : 4 * opts_.portmap_timeout);
  auto hold = std::make_shared<std::shared_ptr<portmap_exchange>>();
  request(l->lease.origin, *gw, l->lease.internal, l->nonce, 0, 0, deadline, hold.get(),
          [hold](std::error_code, const portmap_lease&) {});
  if (stopped_ && *hold) (*hold)->cancel();  // the one datagram is sent; nobody waits for the answer
}

void portmap_manager::shutdown() {
  if (stopped_) return;
  for (auto& p : probes_) p->cancel();
  probes_.clear();
  std::vector<std::uint64_t> keys;
  for (const auto& [k, l] : leases_) keys.push_back(k);
  stopped_ = true;
  for (const auto k : keys) release(k);
  // DeletePortMapping of every UPnP lease, waiting up to the UPnP timeout.
  if (upnp_) upnp_->shutdown(opts_.portmap_upnp_timeout);
  auto waiting = std::move(waiting_);
  for (auto& fn : waiting) fn();
}

}  // namespace pinhole::client
