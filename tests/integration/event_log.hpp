// Collects a port manager's events from the library's thread, for tests
// that wait for one (tests/integration; client_port_manager_test and
// client_failover_test still carry their own copies).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "pinhole/events.hpp"

namespace pinhole::test {

struct event_log {
  std::mutex m;
  std::condition_variable cv;
  std::vector<event> events;

  event_handler handler() {
    return [this](const event& e) {
      std::lock_guard lk(m);
      events.push_back(e);
      cv.notify_all();
    };
  }
  // The n-th (1-based) event of type `t`, waiting up to `timeout` for it.
  std::optional<event> wait_for(event_type t, std::chrono::milliseconds timeout, std::size_t n = 1) {
    std::unique_lock lk(m);
    std::optional<event> found;
    cv.wait_for(lk, timeout, [&] {
      std::size_t seen = 0;
      for (const auto& e : events) {
        if (e.type == t && ++seen == n) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::size_t count(event_type t) {
    std::lock_guard lk(m);
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const event& e) { return e.type == t; }));
  }
};

}  // namespace pinhole::test
