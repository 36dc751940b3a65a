// One worker thread: its own io_context and its own SO_REUSEPORT socket per
// listener. Readiness comes from Asio (async_wait), then the socket is drained
// with recvmmsg, every datagram goes through handle_request(), and the
// answers leave in one sendmmsg. No locks, no allocation per packet.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <thread>
#include <vector>

#include "counters.hpp"
#include "packet_batch.hpp"
#include "runtime.hpp"

namespace pinhole::daemon {

class worker {
 public:
  // Takes ownership of `fds` (one per listener, same order as `listeners`).
  worker(std::size_t id, const std::vector<int>& fds, const std::vector<listener>& listeners, counter_table& counters,
         const state_ref& state, std::size_t batch);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;
  ~worker();

  void start();
  void stop();

  // Processes whatever is queued on listener `i` right now (used by start's
  // handlers; public for tests that drive a worker without a thread).
  void drain(std::size_t i) noexcept;

 private:
  void arm(std::size_t i);

  std::size_t id_;
  counter_table& counters_;
  const state_ref& state_;
  std::vector<socket_role> roles_;
  boost::asio::io_context io_{1};
  std::vector<boost::asio::ip::udp::socket> sockets_;
  std::vector<packet_batch> batches_;
  std::array<int, 4> role_fd_{-1, -1, -1, -1};
  std::thread thread_;
};

// Slot size for received datagrams: larger datagrams are dropped as malformed.
inline constexpr std::size_t max_datagram = 4096;
// How many recvmmsg rounds one readiness event may take before yielding to
// the other sockets of the worker.
inline constexpr int rounds_per_wakeup = 8;

}  // namespace pinhole::daemon
