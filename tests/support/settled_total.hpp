// A pinholed server's counter total, read once every datagram received so
// far has its result: a worker counts an answer when sendmmsg returns, which
// may be after the client already has it. For in-process integration tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "server.hpp"

namespace pinhole::test {

inline std::uint64_t settled_total(const daemon::server& s, daemon::counter c) {
  using daemon::counter;
  const auto settled = [&s] {
    const auto t = s.counters().total();
    std::uint64_t results = 0;
    for (counter k :
         {counter::answered, counter::error_400, counter::error_401, counter::error_420, counter::error_other,
          counter::dropped_malformed, counter::dropped_indication, counter::dropped_response,
          counter::dropped_rate_limited, counter::dropped_global_limit, counter::dropped_acl, counter::send_failed}) {
      results += t[static_cast<std::size_t>(k)];
    }
    return results >= t[static_cast<std::size_t>(counter::received)];
  };
  for (int i = 0; i < 200 && !settled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return s.counters().total()[static_cast<std::size_t>(c)];
}

}  // namespace pinhole::test
