// One worker thread: its own io_context and one socket per listener (its own
// SO_REUSEPORT socket, or a duplicate of an inherited one). Readiness comes
// from Asio (async_wait), then the socket is drained with recvmmsg, every
// datagram passes the ACL and the per-source limiter and goes through
// handle_request(), and the answers leave in one sendmmsg. No locks, no
// allocation per packet. Sockets can be added and removed while it runs
// (reload); the others are never touched.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "counters.hpp"
#include "latency.hpp"
#include "packet_batch.hpp"
#include "runtime.hpp"

namespace pinhole::daemon {

// Slot size for received datagrams: larger datagrams are dropped as malformed.
inline constexpr std::size_t max_datagram = 4096;
// How many recvmmsg rounds one readiness event may take before yielding to
// the other sockets of the worker.
inline constexpr int rounds_per_wakeup = 8;
// With coalesce_us set: how long one readiness event may go on polling
// before the worker returns to its io_context (so reloads and heartbeats
// still get a turn), and the fewest polls it may make in that time.
inline constexpr std::uint64_t poll_budget_ns = 10'000'000;
inline constexpr std::uint64_t min_polls_per_wakeup = 8;

class worker {
 public:
  worker(std::size_t id, const state_ref& state, std::size_t batch);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker();

  // Serves `l` on `fd` (takes ownership), counting into `c`. Before start()
  // it is added directly; while running it is added on the worker's thread
  // and this returns once the socket is being served.
  void add_socket(int fd, const listener& l, counter_block& c);
  // Stops serving the socket bound to `l` and closes it (same threading).
  void remove_socket(const listener& l);

  void start();
  void stop();

  // Liveness for the systemd watchdog and /healthz: heartbeat() posts a
  // no-op to the worker's loop; beats() counts the ones that ran.
  void heartbeat();
  std::uint64_t beats() const noexcept { return beats_.load(std::memory_order_relaxed); }
  const latency_histogram& latency() const noexcept { return latency_; }
  // Readiness events served, and timed polls made instead of waiting for one
  // (coalesce_us). Relaxed, single writer.
  std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }
  std::uint64_t polls() const noexcept { return polls_.load(std::memory_order_relaxed); }
  std::size_t sockets() const noexcept { return slots_.size(); }

  // Processes whatever is queued on socket `i` right now (used by start's
  // handlers; public for tests that drive a worker without a thread).
  // Returns the number of datagrams read.
  std::size_t drain(std::size_t i) noexcept;

 private:
  struct slot {
    slot(boost::asio::io_context& io, const boost::asio::ip::udp& proto, int fd, std::size_t batch_size)
        : sock(io, proto, fd), batch(batch_size, max_datagram) {}
    boost::asio::ip::udp::socket sock;
    packet_batch batch;
    listener info;
    counter_block* counters = nullptr;
    bool closed = false;
  };

  void arm(const std::shared_ptr<slot>& s);
  std::size_t drain(slot& s) noexcept;
  void coalesce(std::size_t first, std::uint64_t started) noexcept;
  void run_on_loop(const std::function<void()>& task);
  void do_add(int fd, const listener& l, counter_block& c);
  void do_remove(const listener& l);
  void update_roles();

  std::size_t id_;     // names the thread: ph-worker-N
  state_cache state_;  // read once per wakeup on the worker thread
  std::size_t batch_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::vector<std::shared_ptr<slot>> slots_;
  std::array<int, 4> role_fd_{-1, -1, -1, -1};
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> beats_{0};
  std::atomic<std::uint64_t> wakeups_{0};
  std::atomic<std::uint64_t> polls_{0};
  std::uint64_t last_wakeup_ns_ = 0;
  latency_histogram latency_;
  std::thread thread_;
};

}  // namespace pinhole::daemon
