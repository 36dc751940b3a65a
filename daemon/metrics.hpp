// Prometheus text exposition (format 0.0.4) of pinholed's counters. A
// snapshot is taken from the server on the control thread and rendered to
// text; neither step touches the packet path beyond relaxed atomic loads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "counters.hpp"
#include "latency.hpp"

namespace pinhole::daemon {

class server;

struct listener_sample {
  std::string name;    // "0.0.0.0:3478"
  std::string family;  // "ipv4" / "ipv6"
  std::string role;    // "single", "PP", "PA", "AP", "AA"
  counter_values values{};
};

struct metrics_sample {
  std::vector<listener_sample> listeners;
  counter_values totals{};  // every listener ever, including ones removed by a reload
  latency_snapshot latency;
  std::uint64_t wakeups = 0;  // worker readiness events
  std::uint64_t polls = 0;    // coalescing polls (coalesce_us)
  double uptime_seconds = 0;
  double start_time_seconds = 0;  // Unix time
  std::size_t workers = 0;
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_rejected = 0;
  std::size_t limiter_slots = 0;  // per-source table size, 0 = limiter off
  std::size_t acl_prefixes = 0;
  bool healthy = true;
  bool socket_activated = false;
  bool draining = false;  // drain mode (SIGUSR1): /healthz 503, datagrams dropped after the grace
  // The metrics HTTP server itself (metrics_http's http_stats).
  std::size_t http_open = 0;
  std::uint64_t http_accepted = 0;
  std::uint64_t http_evicted = 0;
  std::uint64_t http_timed_out = 0;
  std::uint64_t http_accept_paused = 0;
};

// Everything but the service-level fields (uptime, reloads, health), which
// the caller fills in.
metrics_sample sample(const server& s);

// The /metrics body.
std::string render_prometheus(const metrics_sample& m);

// The label value escaped per the exposition format (\\, \", \n).
std::string escape_label(std::string_view v);

}  // namespace pinhole::daemon
