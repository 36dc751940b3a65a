// SHA-1 (FIPS 180-4 §6.1). Used by STUN MESSAGE-INTEGRITY, which is
// HMAC-SHA1 over the message (RFC 8489 §14.5). Streaming, allocation-free,
// noexcept; the object lives on the stack and holds one 64-byte block.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "stun/hash_block.hpp"

namespace pinhole::stun {

class sha1 {
 public:
  static constexpr std::size_t digest_size = 20;
  static constexpr std::size_t block_size = detail::hash_block::size;
  using digest = std::array<std::byte, digest_size>;

  sha1() noexcept;

  // Absorbs more message bytes. May be called any number of times.
  void update(std::span<const std::byte> data) noexcept;

  // Pads, returns the digest and resets the object to the initial state,
  // so it can be reused for a new message.
  [[nodiscard]] digest finish() noexcept;

  [[nodiscard]] static digest hash(std::span<const std::byte> data) noexcept;

 private:
  void compress(const std::byte* block) noexcept;

  std::array<std::uint32_t, 5> h_;
  detail::hash_block block_;
};

}  // namespace pinhole::stun
