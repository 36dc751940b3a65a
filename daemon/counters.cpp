#include "counters.hpp"

namespace pinhole::daemon {

std::string_view to_string(counter c) noexcept {
  switch (c) {
    case counter::received: return "received";
    case counter::answered: return "answered";
    case counter::error_400: return "error_400";
    case counter::error_401: return "error_401";
    case counter::error_420: return "error_420";
    case counter::error_other: return "error_other";
    case counter::dropped_malformed: return "dropped_malformed";
    case counter::dropped_indication: return "dropped_indication";
    case counter::dropped_response: return "dropped_response";
    case counter::dropped_rate_limited: return "dropped_rate_limited";
    case counter::dropped_global_limit: return "dropped_global_limit";
    case counter::dropped_acl: return "dropped_acl";
    case counter::dropped_draining: return "dropped_draining";
    case counter::send_failed: return "send_failed";
    case counter::bytes_in: return "bytes_in";
    case counter::bytes_out: return "bytes_out";
    case counter::count: break;
  }
  return "unknown";
}

counter_values listener_counters::total() const noexcept {
  counter_values out{};
  for (const auto& b : blocks_) {
    for (std::size_t i = 0; i < counter_count; ++i) out[i] += b.v[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::shared_ptr<listener_counters> counter_registry::add() {
  auto c = std::make_shared<listener_counters>(workers_);
  const std::lock_guard lock(mu_);
  live_.push_back(c);
  return c;
}

void counter_registry::retire(const std::shared_ptr<listener_counters>& c) {
  const std::lock_guard lock(mu_);
  for (auto it = live_.begin(); it != live_.end(); ++it) {
    if (*it != c) continue;
    const auto t = c->total();
    for (std::size_t i = 0; i < counter_count; ++i) retired_[i] += t[i];
    live_.erase(it);
    return;
  }
}

counter_values counter_registry::total() const {
  const std::lock_guard lock(mu_);
  counter_values out = retired_;
  for (const auto& c : live_) {
    const auto t = c->total();
    for (std::size_t i = 0; i < counter_count; ++i) out[i] += t[i];
  }
  return out;
}

}  // namespace pinhole::daemon
