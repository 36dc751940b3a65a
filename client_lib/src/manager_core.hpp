// The port manager's state machine. Lives entirely on the io_context's one
// thread: no locks; the public port_manager posts work here and waits with a
// deadline. Every operation completes through a done callback exactly once.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "mapped_socket.hpp"
#include "netmon.hpp"
#include "pinhole/options.hpp"
#include "pinhole/port_manager.hpp"
#include "portmap_manager.hpp"
#include "server_list.hpp"
#include "socket_directory.hpp"
#include "stun_demux.hpp"

namespace pinhole::client {

// One socket the manager maps: handed out, pre-warmed, listening, an RTCP
// port reserved next to an RTP one, or an application-owned socket
// (attach_socket) the manager only sends from.
struct slot {
  explicit slot(asio::io_context& io) : keepalive(io), budget(io) {}
  std::uint64_t id = 0;
  port_type type = port_type::sip;
  std::shared_ptr<mapped_socket> sock;
  ip_endpoint internal;
  ip_endpoint external;
  ip_endpoint server;
  ip_endpoint remote;
  bool mapped = false;      // external is known
  bool handed_out = false;  // returned by GetMapping / adopt
  bool dead = false;        // released; late callbacks ignore it
  bool lost = false;        // mapping_lost reported, not confirmed since
  bool checking = false;    // a keep-alive check is in flight
  int listen_refs = 0;      // StartListen count
  int use_refs = 0;         // GetMapping(SIP) sharing the listen socket
  std::optional<ip_endpoint> listen_key;  // the address StartListen was called with
  std::optional<ip_endpoint> other;       // the server's OTHER-ADDRESS (RFC 5780), if it has one
  bool destination_dependent = false;     // GetMapping's check saw another external address there
  bool attached = false;                  // application-owned: never read, never closed
  // External addresses this mapping had before a rebinding (mapping_changed),
  // newest last, at most a few: the application may still name it by them.
  std::vector<ip_endpoint> former_externals;
  bool known_as(const ip_endpoint& ext) const {
    if (ext.port == 0 && ext.is_unspecified()) return true;  // "any": identified by internal alone
    return ext == external || std::find(former_externals.begin(), former_externals.end(), ext) != former_externals.end();
  }
  // Internal addresses before a re-bind after a network change
  // (network_change.cpp): still names of this mapping.
  std::vector<ip_endpoint> former_internals;
  std::uint64_t rtcp_reserved = 0;        // id of the reserved RTCP slot (pairs)
  std::uint64_t owner = 0;                // for a reserved RTCP slot: its RTP slot
  // An explicit mapping from the gateway (portmap_hooks.cpp). It holds the
  // NAT binding by itself: keep-alives use options::explicit_keepalive_interval.
  std::optional<portmap_lease> lease;
  asio::steady_timer keepalive;
  asio::steady_timer budget;  // call deadline of the operation in progress
};

class manager_core {
 public:
  using clock = std::chrono::steady_clock;
  using done_fn = std::function<void(std::error_code, const mapping&)>;

  manager_core(asio::io_context& io, options opts, std::vector<ip_endpoint> servers);
  manager_core(const manager_core&) = delete;
  manager_core& operator=(const manager_core&) = delete;

  // All of these must run on the io thread. `deadline` bounds the answer.
  void get_mapping(const ip_endpoint& remote, port_type type, clock::time_point deadline, done_fn done);
  void update_remote(const ip_endpoint& remote, const ip_endpoint& internal, const ip_endpoint& external,
                     clock::time_point deadline, done_fn done);
  std::error_code release(const ip_endpoint& internal, const ip_endpoint& external);
  void start_listen(const ip_endpoint& internal, clock::time_point deadline, done_fn done);
  std::error_code stop_listen(const ip_endpoint& internal);
  // Takes `fd` (closed on failure too): a library-owned socket.
  void adopt(int fd, port_type type, const ip_endpoint& remote, clock::time_point deadline, done_fn done);
  // An application-owned socket: sent from, never read, never closed.
  void attach(int fd, port_type type, const ip_endpoint& remote, clock::time_point deadline, done_fn done);
  std::error_code detach(const ip_endpoint& internal);
  // A datagram the application read from the attached socket of slot
  // `owner`, whose transaction ID the registry knew.
  void deliver(std::uint64_t owner, const ip_endpoint& from, std::span<const std::byte> data);
  void start_prewarm();
  void shutdown();
  // A new resolution of the configured servers (server_refresher). Mappings
  // keep the server they have; new transactions and failover use the list.
  // `initial`: the first resolution of the names (not counted as an update).
  void replace_servers(std::vector<ip_endpoint> servers, bool initial = false);
  // Called (io thread) when a transaction has tried every server in vain.
  void on_servers_exhausted(std::function<void()> fn) { servers_exhausted_ = std::move(fn); }

  port_manager_stats stats() const noexcept;

  // network_change.cpp. The host's network changed (netmon, or the
  // application): re-check every mapping now, re-bind those whose local
  // address is gone, refill the pre-warmed cache, run the network hooks.
  void network_changed();
  // Starts the rtnetlink monitor if options::monitor_network (a no-op
  // where there is no rtnetlink).
  void start_netmon();
  // Run on every network change, after the re-checks started: the place
  // for "probe the gateway again" (port-mapping protocols). io thread.
  void add_network_hook(std::function<void()> fn) { network_hooks_.push_back(std::move(fn)); }
  std::uint64_t network_changes() const noexcept { return network_changes_.load(std::memory_order_relaxed); }

  // Thread-safe parts, used directly by the public port_manager from any
  // thread: the descriptors of handed-out mappings (send()) and the
  // transaction IDs in flight on attached sockets (handle_datagram()).
  const socket_directory& directory() const noexcept { return directory_; }
  const txid_registry& attached_txids() const noexcept { return attached_txids_; }

 private:
  using resolved_fn = std::function<void(std::error_code, const ip_endpoint& mapped, const ip_endpoint& server)>;

  // mapping.cpp: sockets and first mappings.
  std::error_code open_slot(ip_family fam, port_type type, const std::optional<ip_endpoint>& fixed,
                            std::shared_ptr<slot>& out);
  std::shared_ptr<slot> wrap(int fd, const ip_endpoint& local, port_type type, bool attached = false);
  std::optional<ip_endpoint> local_ip_for(ip_family fam);
  void map_new(const std::shared_ptr<slot>& s, clock::time_point deadline, done_fn done);
  void check_dependence(const std::shared_ptr<slot>& s, clock::time_point deadline, std::function<void()> done);
  // A Binding request to `server` with the manager's transaction, credential
  // and FINGERPRINT settings.
  binding_params params_for(const ip_endpoint& server) const;
  // no_server_resolved while no name has resolved yet, family_not_supported
  // without a server of `fam`; empty if there is one.
  std::error_code servers_for(ip_family fam);
  void hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote);
  std::shared_ptr<slot> take_reserved_rtcp(port_type type, const ip_endpoint& remote);
  std::shared_ptr<slot> find_internal(const ip_endpoint& internal) const;
  void destroy(const std::shared_ptr<slot>& s);
  void refill(port_type type);
  void retry_refill(port_type type);
  mapping snapshot(const slot& s);
  // The mapped_socket of slot `s` on `fd`, delivering to on_datagram.
  std::shared_ptr<mapped_socket> make_socket(const std::shared_ptr<slot>& s, int fd, const ip_endpoint& local);

  // network_change.cpp.
  void stop_netmon();
  bool is_pooled(const slot& s) const;
  void recheck_after_change(const std::shared_ptr<slot>& s, bool address_gone);
  std::error_code rebind(const std::shared_ptr<slot>& s);
  void forget_former_internals(const slot& s);
  // keepalive.cpp: with options::skip_keepalive_on_traffic, the time until
  // the keep-alive is due counting from the application's last send; zero
  // if it is due now.
  clock::duration keepalive_due_in(const slot& s) const;

  // keepalive.cpp: binding with failover, keep-alives, events.
  // Tries candidates[i..] in turn until `deadline`; each server gets an
  // equal share of what is left, so a silent one cannot spend the budget.
  void resolve(const std::shared_ptr<slot>& s, std::vector<ip_endpoint> candidates, std::size_t i,
               std::error_code last, clock::time_point deadline, resolved_fn done);
  void recheck(const std::shared_ptr<slot>& s, std::function<void(std::error_code)> done);
  void schedule_keepalive(const std::shared_ptr<slot>& s, bool first);
  void arm_keepalive(const std::shared_ptr<slot>& s, clock::duration after);
  void run_check(const std::shared_ptr<slot>& s);
  // A server answered: clears its failures; server_recovered and an
  // immediate re-check of lost mappings if it had been down.
  void server_ok(const ip_endpoint& server);
  // A server failed: server_unreachable the first time; re-probe scheduled.
  void server_failed(const ip_endpoint& server, std::error_code why);
  // Background re-probes of down servers (server_list::probe_due).
  void schedule_probe();
  void probe(const ip_endpoint& server);
  void apply_mapping(const std::shared_ptr<slot>& s, const ip_endpoint& mapped, const ip_endpoint& server);
  void emit(const event& e);

  // portmap_hooks.cpp: explicit mappings (PCP, NAT-PMP) first, then STUN.
  void map_preferred(const std::shared_ptr<slot>& s, clock::time_point deadline, done_fn done);
  // A STUN answer for a slot holding a lease: true if it confirms the
  // gateway's external address (the slot keeps the lease's address).
  bool keep_explicit(const std::shared_ptr<slot>& s, const ip_endpoint& mapped, const ip_endpoint& server);
  void on_lease_change(std::uint64_t id, std::error_code ec, const portmap_lease& lease);
  void start_portmap();

 public:
  // Re-probes the gateways now (network monitor; io thread).
  void reprobe_gateways();
  std::error_code info(const ip_endpoint& internal, mapping& out);
  const portmap_manager* portmap() const noexcept { return portmap_.get(); }

 private:

  asio::io_context& io_;
  options opts_;
  socket_directory directory_;
  txid_registry attached_txids_;
  server_list servers_;
  socket_counters counters_;
  std::vector<std::byte> rx_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::unordered_map<std::uint64_t, std::shared_ptr<slot>> slots_;
  std::map<ip_endpoint, std::uint64_t, endpoint_less> by_internal_;  // handed out + listening
  std::array<std::deque<std::uint64_t>, port_type_count> pool_;
  std::array<unsigned, port_type_count> pool_inflight_{};
  // Set once a pre-warmed mapping turned out destination-dependent: behind
  // such a NAT no mapping can be prepared in advance, so refilling stops.
  bool prewarm_off_ = false;
  std::function<void()> servers_exhausted_;
  // Long-term credential challenges per server (RFC 8489 §9.2), shared by all sockets.
  std::shared_ptr<challenge_cache> challenges_ = std::make_shared<challenge_cache>();
  std::atomic<std::uint64_t> server_updates_{0};  // read by stats() from any thread
  std::vector<std::uint64_t> reserved_rtcp_;
  std::array<std::unique_ptr<asio::steady_timer>, port_type_count> refill_retry_;
  asio::steady_timer probe_timer_{io_};
  std::vector<std::shared_ptr<mapped_socket>> probes_;  // in flight, one per server at most
  std::atomic<std::size_t> handed_out_{0};
  std::atomic<std::size_t> pooled_{0};
  std::atomic<std::size_t> listens_{0};
  std::atomic<std::size_t> attached_{0};
  std::atomic<std::uint64_t> keepalives_{0};
  std::atomic<std::uint64_t> keepalives_skipped_{0};
  std::atomic<std::uint64_t> network_changes_{0};
  std::vector<std::function<void()>> network_hooks_;
  std::unique_ptr<netmon> netmon_;
  std::unique_ptr<portmap_manager> portmap_;
};

}  // namespace pinhole::client
