// A big-endian unsigned integer of n <= 8 bytes, as IP addresses are stored
// (the ACL's prefixes and the rate limiter's keys read them this way).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pinhole::daemon {

constexpr std::uint64_t load_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8U) | p[i];
  return v;
}

}  // namespace pinhole::daemon
