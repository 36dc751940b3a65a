// pinholed's server: binds the listeners (the configured list plus the RFC
// 5780 quad PP/PA/AP/AA), one SO_REUSEPORT socket per listener per worker,
// and runs the workers. Socket-level only; signals and systemd live in main.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config.hpp"
#include "counters.hpp"
#include "runtime.hpp"
#include "worker.hpp"

namespace pinhole::daemon {

class server {
 public:
  explicit server(const config& cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds every listener for every worker. false + one-line `error` on failure.
  bool bind(std::string& error);
  // Uses sockets handed over by systemd (socket activation) instead of
  // binding; each is shared by all workers.
  bool adopt(std::span<const int> fds, std::string& error);

  void start();
  void stop();

  // Applies a new config without a restart: listeners are left as they are,
  // everything the workers read (credentials, SOFTWARE, ...) is swapped
  // atomically. false + `error` if `cfg` is invalid; the old config stays.
  bool reload(const config& cfg, std::string& error);

  const std::vector<listener>& listeners() const noexcept { return listeners_; }
  const counter_table& counters() const noexcept { return *counters_; }
  std::size_t worker_count() const noexcept { return workers_.size(); }
  std::shared_ptr<const runtime_state> state() const noexcept { return state_.load(); }

 private:
  std::size_t worker_target() const noexcept;
  void create_workers(const std::vector<std::vector<int>>& fds);

  config cfg_;
  std::vector<listener> listeners_;
  std::unique_ptr<counter_table> counters_;
  state_ref state_;
  std::vector<std::unique_ptr<worker>> workers_;
};

}  // namespace pinhole::daemon
