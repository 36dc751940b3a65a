// The outcome of one pinhole-bench run, as text or as one JSON object.
#pragma once

#include <cstdint>
#include <string>

#include "histogram.hpp"

namespace pinhole::bench {

struct result {
  std::string server;
  std::uint64_t target_rate = 0;  // 0 = open loop at the maximum
  double duration_s = 0;          // requested sending window
  unsigned sockets = 0;

  std::uint64_t sent = 0;         // datagrams the kernel accepted
  std::uint64_t answered = 0;     // first valid response to one of them
  std::uint64_t invalid = 0;      // responses that failed a check (see messages.hpp)
  std::uint64_t duplicates = 0;   // valid responses to an already answered request
  std::uint64_t unknown = 0;      // valid-looking responses to no request in flight
  std::uint64_t send_errors = 0;  // requests the kernel refused (counted neither sent nor lost)
  double send_window_s = 0;       // first to last send, as it happened

  histogram latency;   // ns, request sendmmsg -> response recvmmsg
  histogram send_lag;  // ns, how late each request left compared with its schedule

  std::uint64_t lost() const noexcept { return sent > answered ? sent - answered : 0; }
  double loss_pct() const noexcept;
  double offered_rps() const noexcept;
  double answered_rps() const noexcept;
};

std::string to_text(const result& r);
// Keys: server, target_rate, duration_s, sockets, sent, answered, lost,
// loss_pct, invalid, duplicates, unknown, send_errors, offered_rps, rps,
// p50_us, p99_us, p999_us, max_us, mean_us, send_lag_p99_us.
std::string to_json(const result& r);

}  // namespace pinhole::bench
