// The block framing MD5 (RFC 1321 §3.1-3.2), SHA-1 and SHA-256 (FIPS 180-4
// §5.1.1, §5.2.1) share: message bytes are gathered into 64-byte blocks for
// the compression function, and the message ends with a 1 bit, zeros until
// 8 bytes are left in the block, and the message length in bits in those 8
// bytes (the hash decides their byte order). Allocation-free and noexcept;
// the hashes hold one of these and supply their compression function.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace pinhole::stun::detail {

// 32-bit words in message order: big-endian for SHA, little-endian for MD5.
constexpr std::uint32_t load_be32(const std::byte* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}
constexpr std::uint32_t load_le32(const std::byte* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
constexpr void store_be32(std::byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 24);
  p[1] = static_cast<std::byte>(v >> 16);
  p[2] = static_cast<std::byte>(v >> 8);
  p[3] = static_cast<std::byte>(v);
}
constexpr void store_le32(std::byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::byte>(v);
  p[1] = static_cast<std::byte>(v >> 8);
  p[2] = static_cast<std::byte>(v >> 16);
  p[3] = static_cast<std::byte>(v >> 24);
}

class hash_block {
 public:
  static constexpr std::size_t size = 64;

  // Absorbs `data`; calls compress(const std::byte* block) once per full block.
  template <class Compress>
  void update(std::span<const std::byte> data, Compress&& compress) noexcept {
    total_ += data.size();
    if (len_ > 0) {
      const std::size_t take = std::min(size - len_, data.size());
      std::copy_n(data.begin(), take, buf_.begin() + static_cast<std::ptrdiff_t>(len_));
      len_ += take;
      data = data.subspan(take);
      if (len_ < size) return;
      compress(buf_.data());
      len_ = 0;
    }
    while (data.size() >= size) {
      compress(data.data());
      data = data.subspan(size);
    }
    std::copy(data.begin(), data.end(), buf_.begin());
    len_ = data.size();
  }

  // How the bit length is stored in the last 8 bytes: SHA-1/SHA-256 as a
  // 64-bit big-endian integer (FIPS 180-4 §5.1.1), MD5 as two 32-bit words,
  // low-order word first, each low-order byte first (RFC 1321 §3.2).
  enum class length_order : bool { big_endian, little_endian };

  // Pads the message and compresses the last block (two when the length no
  // longer fits). Leaves the buffer empty for the next message.
  template <class Compress>
  void finish(Compress&& compress, length_order order) noexcept {
    // "append a single 1 bit" / "the bit 1 to the end of the message".
    const std::uint64_t bits = total_ * 8;
    buf_[len_++] = std::byte{0x80};
    if (len_ > size - 8) {
      std::fill(buf_.begin() + static_cast<std::ptrdiff_t>(len_), buf_.end(), std::byte{0});
      compress(buf_.data());
      len_ = 0;
    }
    std::fill(buf_.begin() + static_cast<std::ptrdiff_t>(len_), buf_.end() - 8, std::byte{0});
    std::byte* last8 = buf_.data() + size - 8;
    if (order == length_order::big_endian) {
      store_be32(last8, static_cast<std::uint32_t>(bits >> 32));
      store_be32(last8 + 4, static_cast<std::uint32_t>(bits));
    } else {
      store_le32(last8, static_cast<std::uint32_t>(bits));
      store_le32(last8 + 4, static_cast<std::uint32_t>(bits >> 32));
    }
    compress(buf_.data());
    len_ = 0;
    total_ = 0;
  }

 private:
  std::array<std::byte, size> buf_{};
  std::size_t len_ = 0;      // bytes pending in buf_, always < size
  std::uint64_t total_ = 0;  // message length so far, in bytes
};

}  // namespace pinhole::stun::detail
