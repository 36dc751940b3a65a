// What a configuration costs before the first datagram: the packet buffers
// every worker preallocates for every listener, the per-source rate-limiter
// table, and the file descriptors (sockets plus each worker's event loop).
// Checked by --check-config and at startup, so an absurd configuration is
// one clear line instead of an OOM kill or an exception from inside Asio.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"
#include "outcome.hpp"

namespace pinhole::daemon {

// The largest preallocation accepted (packet buffers + rate-limiter table):
// 4 GiB. The default config on a 64-core host needs about 37 MiB; 1024 workers
// at batch 1024 on two listeners would need about 18 GiB.
inline constexpr std::uint64_t max_memory_bytes = 4ULL << 30;

// Descriptors besides the per-worker ones: stdio, the control loop and its
// signal pipe, the metrics listener and its connections, systemd and
// sanitizer runtimes.
inline constexpr std::uint64_t base_fds = 48;
// Each worker's io_context (epoll reactor): epoll fd, eventfd interrupter, timerfd.
inline constexpr std::uint64_t fds_per_worker = 3;

struct resource_needs {
  std::size_t workers = 0;    // "workers", or one per CPU core for 0
  std::size_t listeners = 0;  // sockets per worker
  std::size_t batch = 0;
  std::uint64_t buffer_bytes = 0;   // workers x listeners x packet_batch(batch)
  std::uint64_t limiter_bytes = 0;  // per-source table, 0 when rate limiting is off
  std::uint64_t fds = 0;            // descriptors needed at startup (upper bound)
  std::uint64_t memory_bytes() const noexcept { return buffer_bytes + limiter_bytes; }
};

// `cfg` must be valid. `cpus` stands in for std::thread::hardware_concurrency() (0 = ask it).
resource_needs estimate_resources(const config& cfg, unsigned cpus = 0);

// "2 workers x 2 listeners x batch 32: 4.4 MiB preallocated, 63 file descriptors"
std::string describe(const resource_needs& n);

// "1.5 KiB", "4.4 MiB", "18.0 GiB"
std::string format_bytes(std::uint64_t bytes);

// Fails (not_enough_memory, one line without prefix) when memory_bytes() exceeds max_memory_bytes.
outcome check_memory(const resource_needs& n);

// Makes RLIMIT_NOFILE's soft limit at least n.fds, raising it (up to the hard
// limit) when needed. Fails (too_many_files_open, one line without prefix) if
// the hard limit is lower. `limit` receives the soft limit in force afterwards.
outcome ensure_fd_limit(const resource_needs& n, std::uint64_t& limit);

}  // namespace pinhole::daemon
