// Cryptographically secure randomness from the kernel (getrandom(2)).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace pinhole::client {

// Fills `out` from getrandom(2); retries on EINTR and short reads.
std::error_code secure_random(std::span<std::byte> out) noexcept;

// RFC 8489 §5: the transaction ID "MUST be uniformly and randomly chosen from
// the interval 0 .. 2**96-1, and MUST be cryptographically random".
std::array<std::byte, 12> new_transaction_id() noexcept;

// Uniform value in [0, bound) (bound > 0), for port selection and jitter.
std::uint32_t random_below(std::uint32_t bound) noexcept;

}  // namespace pinhole::client
