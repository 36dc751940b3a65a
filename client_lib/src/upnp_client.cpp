#include "upnp_client.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "pinhole/errors.hpp"
#include "random.hpp"
#include "upnp_validate.hpp"

namespace pinhole::client {

namespace {
// upnpDiscover's delay: half of the probe's bound, between 50 and 500 ms.
// (libminiupnpc 2.2.4 sends MX = delay / 1000 and raises MX 0 to 1 s with
// a 1 s wait: below 1 s the search takes 1 s whatever is asked.)
std::chrono::milliseconds discovery_delay(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 2, std::chrono::milliseconds(50), std::chrono::milliseconds(500));
}
}  // namespace

upnp_client::upnp_client(asio::io_context& io, std::shared_ptr<upnp::backend> backend, settings s, change_fn on_change)
    : io_(io), backend_(std::move(backend)), set_(s), on_change_(std::move(on_change)), worker_(io), probe_timer_(io) {}

upnp_client::~upnp_client() {
  try {
    shutdown(std::chrono::milliseconds(0));
  } catch (...) {
    // asio's cancel() and std::thread's join() throw only on system failure; a destructor must not throw.
  }
}

void upnp_client::probe(std::function<void()> done) {
  if (stopped_) return done();
  if (probe_done_) {  // a new round replaces the one in flight
    auto previous = std::move(probe_done_);
    probe_done_ = nullptr;
    previous();
  }
  const auto round = ++round_;
  latest_round_->store(round);
  probe_done_ = std::move(done);
  std::weak_ptr<bool> alive = alive_;
  probe_timer_.expires_after(set_.timeout);
  probe_timer_.async_wait([this, alive, round](const boost::system::error_code& ec) {
    if (ec || alive.expired() || round != round_) return;
    finish_probe();  // the IGD is slow: GetMapping goes on without it (its answer is kept when it comes)
  });
  worker_.run([b = backend_, delay = discovery_delay(set_.timeout), alive, round, latest = latest_round_,
               this](const upnp_worker::poster& post) {
    if (latest->load() != round) return;  // a later round is queued: its discovery answers
    auto g = b->discover(delay);
    std::optional<ip_endpoint> ext;
    std::string why;
    if (!g) {
      why = "no IGD answered the SSDP search";
    } else if (!upnp::usable(*g)) {
      why = "not a usable IGD (status " + std::to_string(g->status) + ")";
    } else {
      std::string text;
      const int r = b->external_ip(*g, text);
      ext = upnp::parse_external_ip(text);
      if (r != 0)
        why = "GetExternalIPAddress failed (" + std::to_string(r) + ")";
      else if (!ext)
        why = "GetExternalIPAddress gave no usable address";
    }
    post([this, alive, round, g = std::move(g), ext, why] {
      if (alive.expired() || round != round_ || stopped_) return;
      if (why.empty()) {
        igd_ = g;
        external_ = ext;
      } else {
        igd_.reset();
        external_.reset();
      }
      why_not_ = why;
      finish_probe();
    });
  });
}

void upnp_client::finish_probe() {
  probe_timer_.cancel();
  if (!probe_done_) return;
  auto done = std::move(probe_done_);
  probe_done_ = nullptr;
  done();
}

std::optional<ip_endpoint> upnp_client::gateway() const {
  if (!igd_) return std::nullopt;
  return upnp::url_endpoint(igd_->control_url);
}

upnp_client::grant upnp_client::create(upnp::backend& b, const upnp::igd& g, const ip_endpoint& internal,
                                       std::uint16_t want_port, std::uint32_t lifetime) {
  grant out;
  const std::string client = internal.ip_string();
  std::uint32_t lease = std::min(lifetime, upnp::max_lease);
  std::uint16_t port = want_port != 0 ? want_port : internal.port;
  const auto add = [&](std::uint16_t p) {
    int r = b.add(g, p, internal.port, client, lease);
    // Error 725 OnlyPermanentLeasesSupported, "The NAT implementation only
    // supports permanent lease times on port mappings" (the IGD error list
    // of libminiupnpc's upnpcommands.h): ask again for a permanent one,
    // deleted on release.
    if (r == upnp::err_only_permanent && lease != 0) {
      lease = 0;
      r = b.add(g, p, internal.port, client, lease);
    }
    return r;
  };
  int r = add(port);
  if (r == upnp::err_conflict) {  // ConflictInMappingEntry: the port is another client's
    if (g.v2()) {
      // IGDv2 AddAnyPortMapping: the IGD chooses a free port and returns it
      // as NewReservedPort.
      std::string reserved;
      r = b.add_any(g, port, internal.port, client, lease, reserved);
      if (r == upnp::err_only_permanent && lease != 0) {
        lease = 0;
        r = b.add_any(g, port, internal.port, client, lease, reserved);
      }
      if (r == 0) {
        const auto p = upnp::parse_port(reserved);
        if (!p) {
          out.ec = make_error_code(errc::bad_response);  // no usable port: nothing we could delete either
          return out;
        }
        port = *p;
      }
    } else {
      for (int i = 0; i < 3 && r == upnp::err_conflict; ++i) {
        port = static_cast<std::uint16_t>(1024 + random_below(65536 - 1024));
        r = add(port);
      }
    }
  }
  if (r != 0) {
    out.ec = upnp::to_error(r);
    return out;
  }
  // Believe nothing unconfirmed: the entry must be there, enabled, ours.
  upnp::entry e;
  if (b.get_entry(g, port, e) != 0 || !upnp::confirms(e, internal, internal.port)) {
    out.ec = make_error_code(errc::bad_response);  // not (or not ours): never delete another client's mapping
    return out;
  }
  if (lease != 0) {
    const auto left = upnp::parse_lease(e.lease);
    // NewLeaseDuration is what is left: believe a shorter grant, not the
    // second or two that passed since the AddPortMapping.
    if (left && *left == 0) {
      lease = 0;  // made permanent by the IGD
    } else if (left && *left + 2 < lease) {
      lease = *left;
    }
  }
  std::string text;
  const int x = b.external_ip(g, text);
  const auto ext = upnp::parse_external_ip(text);
  if (x != 0 || !ext) {
    b.remove(g, port);  // ours (confirmed), but useless without an address
    out.ec = make_error_code(errc::bad_response);
    return out;
  }
  out.external = ip_endpoint{ip_family::v4, ext->ip, port};
  out.external_port = port;
  out.lease = lease;
  return out;
}

portmap_lease upnp_client::make_lease(const upnp::igd& g, const ip_endpoint& internal, const grant& gr) const {
  portmap_lease l;
  l.origin = mapping_origin::upnp;
  l.gateway = upnp::url_endpoint(g.control_url).value_or(ip_endpoint{});
  l.internal = internal;
  l.external = gr.external;
  l.lifetime = gr.lease;
  // A permanent mapping reports the longest lease IGDv2 knows (a week).
  l.end = std::chrono::system_clock::now() + std::chrono::seconds(gr.lease != 0 ? gr.lease : upnp::max_lease);
  return l;
}

void upnp_client::map(std::uint64_t key, const ip_endpoint& internal, clock::time_point deadline, map_done done) {
  if (stopped_) return done(make_error_code(errc::shutting_down), portmap_lease{});
  if (!igd_ || !external_ || internal.family != ip_family::v4) return done(make_error_code(errc::timeout), {});
  // NewInternalClient is this host as the IGD sees it; a socket bound to
  // another address cannot be mapped.
  const auto lan = ip_endpoint::parse_ip(igd_->lan_address, internal.port);
  if (!lan || (!internal.is_unspecified() && !internal.same_ip(*lan))) {
    return done(make_error_code(errc::invalid_argument), portmap_lease{});
  }
  // What the worker's job refers to: weak pointers and copies only, so
  // nothing of the io thread (timers, callbacks) is destroyed on the worker.
  struct call {
    explicit call(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    map_done done;
  };
  auto c = std::make_shared<call>(io_);
  c->done = std::move(done);
  std::weak_ptr<bool> alive = alive_;
  c->timer.expires_at(deadline);
  c->timer.async_wait([c](const boost::system::error_code& ec) {
    if (ec || !c->done) return;
    auto d = std::move(c->done);
    c->done = nullptr;
    d(make_error_code(errc::timeout), portmap_lease{});
  });
  std::weak_ptr<call> wc = c;
  worker_.run([this, b = backend_, g = *igd_, client = *lan, lifetime = set_.lifetime, alive, key,
               wc](const upnp_worker::poster& post) {
    auto gr = create(*b, g, client, 0, lifetime);
    post([this, alive, g, client, key, wc, gr] {
      if (alive.expired()) return;
      const auto pending = wc.lock();
      if (pending) pending->timer.cancel();
      if (!pending || !pending->done || stopped_) {  // too late: nobody holds this mapping
        if (!gr.ec) remove_on_gateway(g, gr.external_port);
        return;
      }
      auto finish = std::move(pending->done);
      pending->done = nullptr;
      if (gr.ec) return finish(gr.ec, portmap_lease{});
      auto l = std::make_shared<lease_state>(io_);
      l->key = key;
      l->igd = g;
      l->internal = client;
      l->lease = make_lease(g, client, gr);
      leases_[key] = l;
      if (l->lease.lifetime != 0) schedule_renewal(l, std::chrono::milliseconds(l->lease.lifetime * 500ULL));
      finish({}, l->lease);
    });
  });
}

void upnp_client::schedule_renewal(const std::shared_ptr<lease_state>& l, clock::duration after) {
  // Renewed at half-life, like PCP (RFC 6887 §11.2.1) and NAT-PMP (RFC 6886 §3.3).
  l->timer.expires_after(std::max<clock::duration>(after, std::chrono::milliseconds(500)));
  l->timer.async_wait([this, l](const boost::system::error_code& ec) {
    if (!ec && !stopped_) renew(l);
  });
}

void upnp_client::renew(const std::shared_ptr<lease_state>& l) {
  if (l->renewing || stopped_) return;
  l->renewing = true;
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<lease_state> wl = l;
  const auto port = l->lease.external.port;
  worker_.run([this, b = backend_, g = l->igd, client = l->internal, wl, port, lifetime = set_.lifetime,
               alive](const upnp_worker::poster& post) {
    // AddPortMapping again for the same external port and client refreshes
    // the lease; a conflict (the IGD dropped it and gave the port away)
    // gets another port, reported as a change.
    auto gr = create(*b, g, client, port, lifetime);
    post([this, wl, g, gr, port, alive] {
      if (alive.expired()) return;
      const auto held = wl.lock();
      const auto it = held ? leases_.find(held->key) : leases_.end();
      if (!held || stopped_ || it == leases_.end() || it->second != held) {  // released meanwhile
        if (!gr.ec && gr.external_port != port) remove_on_gateway(g, gr.external_port);
        return;
      }
      held->renewing = false;
      if (gr.ec) {
        if (std::chrono::system_clock::now() >= held->lease.end) {
          leases_.erase(it);
          if (on_change_) on_change_(held->key, make_error_code(errc::timeout), held->lease);
          return;
        }
        return schedule_renewal(held, std::chrono::seconds(1));  // again soon, until the lease runs out
      }
      ++renewals_;
      held->lease = make_lease(held->igd, held->internal, gr);
      if (held->lease.lifetime != 0) schedule_renewal(held, std::chrono::milliseconds(held->lease.lifetime * 500ULL));
      if (on_change_) on_change_(held->key, {}, held->lease);
    });
  });
}

void upnp_client::remove_on_gateway(const upnp::igd& g, std::uint16_t external_port) {
  worker_.run([b = backend_, g, external_port](const upnp_worker::poster&) { b->remove(g, external_port); });
}

void upnp_client::release(std::uint64_t key) {
  const auto it = leases_.find(key);
  if (it == leases_.end()) return;
  auto l = it->second;
  leases_.erase(it);
  l->timer.cancel();
  remove_on_gateway(l->igd, l->lease.external.port);  // DeletePortMapping, on the worker
}

void upnp_client::shutdown(std::chrono::milliseconds grace) {
  if (stopped_) return;
  for (auto& [key, l] : leases_) {
    l->timer.cancel();
    remove_on_gateway(l->igd, l->lease.external.port);
  }
  leases_.clear();
  stopped_ = true;
  probe_timer_.cancel();
  worker_.stop(grace);  // the deletions get `grace`
  if (probe_done_) {
    auto done = std::move(probe_done_);
    probe_done_ = nullptr;
    done();
  }
}

}  // namespace pinhole::client
