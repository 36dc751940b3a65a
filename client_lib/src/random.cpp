// getrandom(2)-backed randomness.
#include "random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

namespace pinhole::client {

std::error_code secure_random(std::span<std::byte> out) noexcept {
  std::size_t done = 0;
  while (done < out.size()) {
    const auto n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {errno, std::system_category()};
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::array<std::byte, 12> new_transaction_id() noexcept {
  std::array<std::byte, 12> id{};
  // getrandom() without GRND_NONBLOCK only fails before the pool is
  // initialised at early boot or with a bad buffer; a predictable ID would
  // let an off-path attacker forge mappings, so refuse to continue.
  if (secure_random(id)) std::abort();
  return id;
}

std::uint32_t random_below(std::uint32_t bound) noexcept {
  if (bound <= 1) return 0;
  // Rejection sampling avoids modulo bias.
  const std::uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
  for (;;) {
    std::array<std::byte, 4> b{};
    if (secure_random(b)) std::abort();
    const auto v = (std::to_integer<std::uint32_t>(b[0]) << 24U) | (std::to_integer<std::uint32_t>(b[1]) << 16U) |
                   (std::to_integer<std::uint32_t>(b[2]) << 8U) | std::to_integer<std::uint32_t>(b[3]);
    if (v < limit) return v % bound;
  }
}

}  // namespace pinhole::client
