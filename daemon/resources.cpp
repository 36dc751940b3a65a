#include "resources.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "metrics_http.hpp"
#include "packet_batch.hpp"
#include "rate_limiter.hpp"
#include "server.hpp"
#include "worker.hpp"

namespace pinhole::daemon {

resource_needs estimate_resources(const config& cfg, unsigned cpus) {
  resource_needs n;
  if (cpus == 0) cpus = std::max(1U, std::thread::hardware_concurrency());
  n.workers = cfg.workers > 0 ? cfg.workers : cpus;
  n.listeners = planned_listeners(cfg);
  n.batch = cfg.batch;
  n.buffer_bytes = std::uint64_t{n.workers} * n.listeners * packet_batch::memory_bytes(n.batch, max_datagram);
  n.limiter_bytes = cfg.rate_limit.per_ip_rate > 0 ? rate_limiter::table_bytes(cfg.rate_limit.table_size) : 0;
  // The listener, its connections and the one over the limit it accepts to close.
  const std::uint64_t metrics = cfg.metrics_listen.empty() ? 0 : 2 + http_limits{}.max_connections;
  n.fds = base_fds + metrics + std::uint64_t{n.workers} * (n.listeners + fds_per_worker);
  return n;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(unit)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, unit[u]);
  }
  return buf;
}

std::string describe(const resource_needs& n) {
  return std::to_string(n.workers) + (n.workers == 1 ? " worker x " : " workers x ") + std::to_string(n.listeners) +
         (n.listeners == 1 ? " listener x batch " : " listeners x batch ") + std::to_string(n.batch) + ": " +
         format_bytes(n.memory_bytes()) + " preallocated, " + std::to_string(n.fds) + " file descriptors";
}

outcome check_memory(const resource_needs& n) {
  if (n.memory_bytes() <= max_memory_bytes) return {};
  return {std::make_error_code(std::errc::not_enough_memory), "resources: " + describe(n) + "; the limit is " +
                                                                  format_bytes(max_memory_bytes) +
                                                                  " (lower workers, batch or rate_limit.table_size)"};
}

outcome ensure_fd_limit(const resource_needs& n, std::uint64_t& limit) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    limit = 0;
    return {};  // cannot tell; binding reports a real shortage
  }
  limit = rl.rlim_cur;
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= n.fds) return {};
  if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= n.fds) {
    // Headroom for listeners a reload may add, within the hard limit.
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 2 * n.fds : std::min<rlim_t>(rl.rlim_max, 2 * n.fds);
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) {
      limit = want.rlim_cur;
      return {};
    }
  }
  return {std::make_error_code(std::errc::too_many_files_open),
          "resources: " + describe(n) + ", but the open-file limit (RLIMIT_NOFILE) is " + std::to_string(rl.rlim_cur) +
              " (hard " + std::to_string(rl.rlim_max) + "); raise it (ulimit -n, LimitNOFILE=) or lower workers"};
}

}  // namespace pinhole::daemon
