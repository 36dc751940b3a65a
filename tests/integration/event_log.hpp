// Collects a port manager's events from the library's thread, with the time
// each arrived, for the integration tests that wait for one.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "pinhole/events.hpp"

namespace pinhole::test {

struct event_log {
  using clock = std::chrono::steady_clock;
  using timed_event = std::pair<event, clock::time_point>;

  std::mutex m;
  std::condition_variable cv;
  std::vector<timed_event> events;

  event_handler handler() {
    return [this](const event& e) {
      std::lock_guard lk(m);
      events.emplace_back(e, clock::now());
      cv.notify_all();
    };
  }
  // The n-th (1-based) event of type `t`, waiting up to `timeout` for it.
  std::optional<event> wait_for(event_type t, std::chrono::milliseconds timeout, std::size_t n = 1) {
    std::size_t seen = 0;
    const auto found = wait_until_seen(
        timeout, [&](const timed_event& e) { return e.first.type == t && ++seen == n; }, [&] { seen = 0; });
    if (!found) return std::nullopt;
    return found->first;
  }
  // The first event of type `t` that arrived at or after `since`, with its time.
  std::optional<timed_event> wait_since(event_type t, clock::time_point since, std::chrono::milliseconds timeout) {
    return wait_until_seen(
        timeout, [&](const timed_event& e) { return e.first.type == t && e.second >= since; }, [] {});
  }
  std::size_t count(event_type t) {
    std::lock_guard lk(m);
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const timed_event& e) { return e.first.type == t; }));
  }

 private:
  // Waits until `match` holds for an event; `restart` runs before each scan.
  template <typename Match, typename Restart>
  std::optional<timed_event> wait_until_seen(std::chrono::milliseconds timeout, Match match, Restart restart) {
    std::unique_lock lk(m);
    std::optional<timed_event> found;
    cv.wait_for(lk, timeout, [&] {
      restart();
      for (const auto& e : events) {
        if (match(e)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
};

}  // namespace pinhole::test
