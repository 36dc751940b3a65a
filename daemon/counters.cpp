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
    case counter::dropped_acl: return "dropped_acl";
    case counter::send_failed: return "send_failed";
    case counter::bytes_in: return "bytes_in";
    case counter::bytes_out: return "bytes_out";
    case counter::count_: break;
  }
  return "unknown";
}

counter_values counter_table::listener_total(std::size_t listener) const noexcept {
  counter_values out{};
  for (std::size_t w = 0; w * listeners_ < blocks_.size(); ++w) {
    const auto& b = blocks_[w * listeners_ + listener];
    for (std::size_t i = 0; i < counter_count; ++i) out[i] += b.v[i].load(std::memory_order_relaxed);
  }
  return out;
}

counter_values counter_table::total() const noexcept {
  counter_values out{};
  for (const auto& b : blocks_) {
    for (std::size_t i = 0; i < counter_count; ++i) out[i] += b.v[i].load(std::memory_order_relaxed);
  }
  return out;
}

}  // namespace pinhole::daemon
