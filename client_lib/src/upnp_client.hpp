// UPnP-IGD (IGDv1 and IGDv2) port mappings through libminiupnpc, beside the
// PCP and NAT-PMP clients of portmap_manager. io thread only; every
// libminiupnpc call runs on the worker thread (upnp_worker) and its result
// is posted back.
//  * probe(): SSDP discovery (bounded) and GetExternalIPAddress; done within
//    `timeout` even when the IGD is slow (a later answer is still cached).
//  * map(): AddPortMapping of the same external port as the internal one,
//    else AddAnyPortMapping (IGDv2) or a random port (IGDv1); a finite lease,
//    or 0 (permanent) when the IGD answers 725 OnlyPermanentLeasesSupported;
//    then GetSpecificPortMappingEntry must confirm it (enabled, our client,
//    our port) and GetExternalIPAddress must give a unicast IPv4 address.
//  * Leases renewed at half-life (AddPortMapping again), deleted
//    (DeletePortMapping) on release and at shutdown.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "portmap_lease.hpp"
#include "upnp_backend.hpp"
#include "upnp_worker.hpp"

namespace pinhole::client {

namespace asio = boost::asio;

class upnp_client {
 public:
  using clock = std::chrono::steady_clock;
  using map_done = std::function<void(std::error_code, const portmap_lease&)>;
  // A lease renewed (maybe at another external port) or lost (ec set).
  using change_fn = std::function<void(std::uint64_t key, std::error_code ec, const portmap_lease& now)>;
  struct settings {
    std::chrono::milliseconds timeout{250};  // the probe's bound (options::portmap_upnp_timeout)
    std::uint32_t lifetime = 7200;           // lease asked for, seconds
  };

  upnp_client(asio::io_context& io, std::shared_ptr<upnp::backend> backend, settings s, change_fn on_change);
  ~upnp_client();
  upnp_client(const upnp_client&) = delete;
  upnp_client& operator=(const upnp_client&) = delete;

  // Discovers the IGD again; `done` runs once, at most `timeout` later.
  void probe(std::function<void()> done);
  bool offers(ip_family f) const noexcept { return f == ip_family::v4 && igd_ && external_; }
  // The IGD's HTTP endpoint (from its control URL), if one answered.
  std::optional<ip_endpoint> gateway() const;
  const std::optional<ip_endpoint>& external() const noexcept { return external_; }
  const std::string& why_not() const noexcept { return why_not_; }
  // `internal`: the socket (IPv4, bound to this host's LAN address or to
  // the wildcard). Fails with invalid_argument when the IGD sees this host
  // at another address, timeout at `deadline`.
  void map(std::uint64_t key, const ip_endpoint& internal, clock::time_point deadline, map_done done);
  bool holds(std::uint64_t key) const { return leases_.count(key) != 0; }
  void release(std::uint64_t key);
  // Deletes every mapping and stops; waits up to `grace` for the IGD.
  void shutdown(std::chrono::milliseconds grace);
  std::uint64_t renewals() const noexcept { return renewals_; }
  std::size_t leases() const noexcept { return leases_.size(); }

 private:
  struct grant {
    std::error_code ec;
    std::uint16_t external_port = 0;
    std::uint32_t lease = 0;
    ip_endpoint external;
  };
  struct lease_state {
    explicit lease_state(asio::io_context& io) : timer(io) {}
    std::uint64_t key = 0;
    upnp::igd igd;  // the IGD that granted it (renewed and deleted there)
    ip_endpoint internal;
    portmap_lease lease;
    asio::steady_timer timer;
    bool renewing = false;
  };
  // Worker thread: the AddPortMapping sequence and its checks.
  static grant create(upnp::backend& b, const upnp::igd& g, const ip_endpoint& internal, std::uint16_t want_port,
                      std::uint32_t lifetime);
  void finish_probe();
  portmap_lease make_lease(const upnp::igd& g, const ip_endpoint& internal, const grant& gr) const;
  void schedule_renewal(const std::shared_ptr<lease_state>& l, clock::duration after);
  void renew(const std::shared_ptr<lease_state>& l);
  void remove_on_gateway(const upnp::igd& g, std::uint16_t external_port);

  asio::io_context& io_;
  std::shared_ptr<upnp::backend> backend_;
  settings set_;
  change_fn on_change_;
  upnp_worker worker_;
  asio::steady_timer probe_timer_;
  std::optional<upnp::igd> igd_;
  std::optional<ip_endpoint> external_;
  std::string why_not_ = "not probed";
  std::uint64_t round_ = 0;
  // round_ as the worker reads it (to skip discoveries a later round replaced).
  std::shared_ptr<std::atomic<std::uint64_t>> latest_round_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::function<void()> probe_done_;
  std::map<std::uint64_t, std::shared_ptr<lease_state>> leases_;
  std::uint64_t renewals_ = 0;
  bool stopped_ = false;
  // Results posted by the worker check it: none runs after destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pinhole::client
