// Re-resolves the configured STUN server names while a port manager lives, so
// it follows a fleet whose addresses change (DNS failover, a moved cloud or
// Kubernetes endpoint) instead of keeping the addresses seen at creation.
// getaddrinfo and res_search block, so resolution runs on a thread of its
// own, never on the io thread; results reach the caller through a callback
// (on that thread) only when the resolved list actually changed. A failed
// resolution keeps the previous list: a DNS outage must not empty it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pinhole/types.hpp"
#include "resolver.hpp"

namespace pinhole::client {

class server_refresher {
 public:
  using clock = std::chrono::steady_clock;
  using change_fn = std::function<void(const std::vector<ip_endpoint>&)>;

  // Re-resolves `specs` every `interval`, or sooner after refresh_soon(), but
  // never within `min_gap` of the previous round. `current` is the list
  // known at creation. While some name has not resolved yet (offline start),
  // rounds repeat every `retry` instead (0: min_gap). `interval` 0 means:
  // once every name resolved, never again. `first_now`: the first round
  // runs at once (for create(), which may wait for it: wait_first_round).
  server_refresher(std::vector<std::string> specs, bool use_srv, std::shared_ptr<dns_resolver> dns,
                   clock::duration interval, clock::duration min_gap, std::vector<ip_endpoint> current,
                   change_fn on_change, bool first_now = false, clock::duration retry = {});
  // Returns at once, also while a lookup hangs on an unreachable DNS server:
  // the thread is told to stop, never calls on_change again, and ends when
  // its lookup returns (it owns what it uses).
  ~server_refresher();
  server_refresher(const server_refresher&) = delete;
  server_refresher& operator=(const server_refresher&) = delete;

  // Asks for an early round (every server failed, say). Never blocks long.
  void refresh_soon() noexcept;
  // Waits until the first round is done or `deadline`; true if done.
  bool wait_first_round(clock::time_point deadline) const;
  // Rounds done so far, and how many of them changed the list.
  std::uint64_t rounds() const;
  std::uint64_t changes() const;

  // True if any spec is a host name (IP literals never need refreshing).
  static bool has_names(const std::vector<std::string>& specs);

 private:
  struct state;
  static void run(const std::shared_ptr<state>& st);
  std::shared_ptr<state> st_;
};

}  // namespace pinhole::client
