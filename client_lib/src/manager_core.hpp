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
#include "slot.hpp"
#include "socket_directory.hpp"
#include "stun_demux.hpp"
#include "turn_client.hpp"

namespace pinhole::client {

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
                     clock::time_point deadline, const done_fn& done);
  std::error_code release(const ip_endpoint& internal, const ip_endpoint& external);
  void start_listen(const ip_endpoint& internal, clock::time_point deadline, const done_fn& done);
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
  // Re-checks every mapping the application holds now instead of at its next
  // keep-alive (a network change: the NAT may have rebound or dropped them).
  void recheck_all();
  // Called (io thread) when a transaction has tried every server in vain.
  void on_servers_exhausted(std::function<void()> fn) { servers_exhausted_ = std::move(fn); }

  port_manager_stats stats() const noexcept;
  // The resolved options::turn_servers (before the io thread starts).
  void set_relays(std::vector<turn_target> relays) { relays_ = std::move(relays); }
  const relay_directory& relays() const noexcept { return relays_directory_; }

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

  // manager_core.cpp: the one place a slot changes state; keeps the
  // counters stats() reads in step with the transitions.
  void enter(slot& s, slot_state to);
  std::shared_ptr<slot> find_internal(const ip_endpoint& internal) const;
  // By value: callers pass references into slots_, which this erases.
  void destroy(std::shared_ptr<slot> s);

  // open_slot.cpp: sockets (and the RTCP port next to an RTP one).
  std::error_code open_slot(ip_family fam, port_type type, const std::optional<ip_endpoint>& fixed,
                            std::shared_ptr<slot>& out);
  std::shared_ptr<slot> wrap(int fd, const ip_endpoint& local, port_type type, slot_state initial = slot_state::mapping,
                             socket_owner owned_by = socket_owner::library);
  std::optional<ip_endpoint> local_ip_for(ip_family fam);

  // first_mapping.cpp: the first Binding of a slot in state `mapping`.
  void map_new(const std::shared_ptr<slot>& s, clock::time_point deadline, const done_fn& done);
  void check_dependence(const std::shared_ptr<slot>& s, clock::time_point deadline, std::function<void()> done);
  // A Binding request to `server` with the manager's transaction, credential
  // and FINGERPRINT settings.
  binding_params params_for(const ip_endpoint& server) const;
  // no_server_resolved while no name has resolved yet, family_not_supported
  // without a server of `fam`; empty if there is one.
  std::error_code servers_for(ip_family fam);

  // hand_out.cpp: mapping -> handed_out, the reserved RTCP ports, snapshots.
  // `gateway_first`: a lease from the gateway before STUN (map_preferred),
  // as GetMapping, adopt and attach ask; reserved RTCP sockets use STUN.
  void map_and_hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote, clock::time_point deadline,
                        done_fn done, bool gateway_first = false);
  void hand_out(const std::shared_ptr<slot>& s, const ip_endpoint& remote);
  std::shared_ptr<slot> take_reserved_rtcp(port_type type, const ip_endpoint& remote);
  mapping snapshot(const slot& s);
  // open_slot.cpp: the mapped_socket of slot `s` on `fd`, delivering to on_datagram.
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

  // prewarm.cpp: mapping -> pooled, the pre-warmed cache.
  void refill(port_type type);
  void retry_refill(port_type type);

  // keepalive.cpp: Binding with failover, keep-alives, events.
  // Tries candidates[i..] in turn until `deadline`; each server gets an
  // equal share of what is left, so a silent one cannot spend the budget.
  void bind_with_failover(const std::shared_ptr<slot>& s, std::vector<ip_endpoint> candidates, std::size_t i,
                          std::error_code last, clock::time_point deadline, resolved_fn done);
  // Confirms the mapping the way it was made (slot::origin); reports
  // mapping_changed / mapping_lost / mapping_restored for visible slots.
  void recheck(const std::shared_ptr<slot>& s, std::function<void(std::error_code)> done);
  void recheck_stun(const std::shared_ptr<slot>& s, std::function<void(std::error_code)> done);
  void schedule_keepalive(const std::shared_ptr<slot>& s, bool first);
  void arm_keepalive(const std::shared_ptr<slot>& s, clock::duration after);
  void run_check(const std::shared_ptr<slot>& s);
  // The keep-alive check now rather than when its timer fires (unless one
  // is in flight already).
  void recheck_now(const std::shared_ptr<slot>& s);
  // A server answered: clears its failures; server_recovered and an
  // immediate re-check of lost mappings if it had been down.
  void server_ok(const ip_endpoint& server);
  // A server failed: server_unreachable the first time; re-probe scheduled.
  void server_failed(const ip_endpoint& server, std::error_code why);
  // Background re-probes of down servers (server_list::probe_due).
  void schedule_probe();
  void probe(const ip_endpoint& server);
  void apply_mapping(const std::shared_ptr<slot>& s, const ip_endpoint& mapped, const ip_endpoint& server,
                     mapping_origin how);
  void emit(const event& e);
  // The one place a slot becomes lost to the application: health lost,
  // then mapping_lost with `why`. Callers decide whether it is reported.
  void report_lost(const std::shared_ptr<slot>& s, std::error_code why);
  // mapping_changed from `previous` (the external address before the change).
  void report_changed(const std::shared_ptr<slot>& s, const ip_endpoint& previous, const ip_endpoint& server);

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
  // GetMapping without relays: the pre-warmed cache or a new STUN mapping.
  void direct_mapping(const ip_endpoint& remote, port_type type, clock::time_point deadline, done_fn done);
  // turn_mapping.cpp: relayed mappings (TURN). map_relayed hands the mapping out.
  bool relay_fallback(std::error_code ec) const noexcept;
  bool has_relay(ip_family fam) const noexcept;
  void map_relayed(const ip_endpoint& remote, port_type type, clock::time_point deadline, const done_fn& done);
  void try_relay(const std::shared_ptr<slot>& s, std::size_t i, std::error_code last, clock::time_point deadline,
                 const done_fn& done);
  void relay_update(const std::shared_ptr<slot>& s, const ip_endpoint& remote, clock::time_point deadline,
                    const done_fn& done);
  // True if the datagram was the relay's (then delivered unwrapped, or dropped).
  bool relay_receive(const std::shared_ptr<slot>& s, const ip_endpoint& from, std::span<const std::byte> data);
  // An application-owned socket's datagram from the TURN server, handed in
  // through handle_datagram: true if it was the relay's (an answer).
  bool relay_answer(const std::shared_ptr<slot>& s, const ip_endpoint& from, std::span<const std::byte> data);
  // attach_socket with options::relay_attached_sockets: STUN first (half
  // the budget) unless prefer_relay, then the relay on the same socket.
  void attach_relayed(const std::shared_ptr<slot>& s, const ip_endpoint& remote, clock::time_point deadline,
                      const done_fn& done);
  void relay_release(const std::shared_ptr<slot>& s);

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
  std::vector<turn_target> relays_;
  relay_directory relays_directory_;
};

}  // namespace pinhole::client
