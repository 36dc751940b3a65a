// SHA-256 (FIPS 180-4 §6.2). Used by STUN MESSAGE-INTEGRITY-SHA256, which is
// HMAC-SHA256 over the message (RFC 8489 §14.6). Streaming, allocation-free,
// noexcept; the object lives on the stack and holds one 64-byte block.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "stun/hash_block.hpp"

namespace pinhole::stun {

class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  static constexpr std::size_t block_size = detail::hash_block::size;
  using digest = std::array<std::byte, digest_size>;

  sha256() noexcept;

  // Absorbs more message bytes. May be called any number of times.
  void update(std::span<const std::byte> data) noexcept;

  // Pads, returns the digest and resets the object to the initial state,
  // so it can be reused for a new message.
  [[nodiscard]] digest finish() noexcept;

  [[nodiscard]] static digest hash(std::span<const std::byte> data) noexcept;

 private:
  void compress(const std::byte* block) noexcept;

  std::array<std::uint32_t, 8> h_;
  detail::hash_block block_;
};

}  // namespace pinhole::stun
