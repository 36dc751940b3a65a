// Explicit port mappings from the gateway: the PCP (RFC 6887) and NAT-PMP
// (RFC 6886) clients of the port manager, and UPnP-IGD through upnp_client. It probes the gateways (all
// listed protocols in parallel, each bounded by options::portmap_timeout),
// remembers what answered, and owns the leases it obtains: renewed at
// half-life, re-created when the gateway lost its state (epoch check,
// RFC 6887 §8.5 / RFC 6886 §3.6), deleted on release and at shutdown.
// io thread only, like manager_core.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "pcp_codec.hpp"
#include "pinhole/options.hpp"
#include "portmap_exchange.hpp"
#include "portmap_lease.hpp"
#include "upnp_client.hpp"

namespace pinhole::client {

struct gateway_info {
  ip_endpoint address;  // the server's address and port (5351)
  bool probed = false;
  bool pcp = false;
  bool natpmp = false;
  std::optional<ip_endpoint> external;  // NAT-PMP's external address (port 0)
  std::uint32_t epoch = 0;              // the last epoch time the server sent
  std::chrono::steady_clock::time_point epoch_at{};
  bool epoch_known = false;
};

class portmap_manager {
 public:
  using clock = std::chrono::steady_clock;
  using map_done = std::function<void(std::error_code, const portmap_lease&)>;
  // A lease changed after GetMapping (renewal gave another external
  // address, the gateway re-created it) or was lost (ec set).
  using change_fn = std::function<void(std::uint64_t key, std::error_code ec, const portmap_lease& now)>;

  // `upnp_backend`: the libminiupnpc one when null (tests pass a fake IGD).
  portmap_manager(asio::io_context& io, const options& opts, change_fn on_change,
                  std::shared_ptr<upnp::backend> upnp_backend = nullptr);
  ~portmap_manager();
  portmap_manager(const portmap_manager&) = delete;
  portmap_manager& operator=(const portmap_manager&) = delete;

  // Re-reads the gateways and probes them all now (the first round runs at
  // creation). The network monitor calls this after every change.
  void reprobe();
  // fn runs once no probe round is in flight (at once when none is).
  void when_probed(std::function<void()> fn);
  // A protocol answered on some gateway of this family.
  bool offers(ip_family fam) const;
  // Asks the gateways that answered for a mapping of `internal` (its port,
  // from the gateway's view of this host) under `key`.
  void map(std::uint64_t key, const ip_endpoint& internal, clock::time_point deadline, const map_done& done);
  // Deletes the lease of `key` on the gateway (lifetime 0), in the background.
  void release(std::uint64_t key);
  // Deletes every lease (one datagram each, no wait) and stops.
  void shutdown();

  const std::vector<gateway_info>& gateways() const noexcept { return gateways_; }
  std::uint64_t renewals() const noexcept { return renewals_ + (upnp_ ? upnp_->renewals() : 0); }
  std::uint64_t recreations() const noexcept { return recreations_; }
  std::size_t leases() const noexcept { return leases_.size() + (upnp_ ? upnp_->leases() : 0); }
  // The UPnP-IGD client (options::port_mapping lists upnp), else null.
  const upnp_client* upnp() const noexcept { return upnp_.get(); }

 private:
  struct lease_state {
    explicit lease_state(asio::io_context& io) : timer(io) {}
    std::uint64_t key = 0;
    portmap_lease lease;
    portmap::pcp_nonce nonce{};
    asio::steady_timer timer;
    std::shared_ptr<portmap_exchange> ex;
    bool renewing = false;
  };
  using result_fn = std::function<void(std::error_code, const portmap_lease&)>;

  void probe_gateway(std::size_t index, std::uint64_t round);
  void probe_finished(std::uint64_t round);
  // One MAP request (create, renew or delete with lifetime 0).
  void request(mapping_origin proto, std::size_t gw, const ip_endpoint& internal, const portmap::pcp_nonce& nonce,
               std::uint16_t suggested_port, std::uint32_t lifetime, clock::time_point deadline,
               std::shared_ptr<portmap_exchange>* hold, result_fn done);
  // Epoch check; true when the server lost its state since the last answer.
  bool epoch_lost(gateway_info& g, std::uint32_t epoch);
  void on_state_lost(std::size_t gw, std::uint64_t except);
  void try_next(std::uint64_t key, const ip_endpoint& internal,
                std::vector<std::pair<mapping_origin, std::size_t>> order, std::size_t i, clock::time_point deadline,
                const map_done& done, std::error_code last);
  void schedule_renewal(const std::shared_ptr<lease_state>& l);
  void renew(const std::shared_ptr<lease_state>& l);
  std::optional<std::size_t> gateway_index(const ip_endpoint& gw) const;

  asio::io_context& io_;
  options opts_;
  change_fn on_change_;
  std::vector<gateway_info> gateways_;
  std::uint64_t round_ = 0;
  std::size_t probes_in_flight_ = 0;
  std::vector<std::function<void()>> waiting_;
  std::vector<std::shared_ptr<portmap_exchange>> probes_;
  std::map<std::uint64_t, std::shared_ptr<lease_state>> leases_;
  std::vector<std::shared_ptr<portmap_exchange>> deleting_;
  std::unique_ptr<upnp_client> upnp_;
  std::uint64_t renewals_ = 0;
  std::uint64_t recreations_ = 0;
  bool stopped_ = false;
};

}  // namespace pinhole::client
