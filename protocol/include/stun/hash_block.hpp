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

  // Pads the message and compresses the last block (two when the length no
  // longer fits). put_length(std::byte* last8, std::uint64_t bits) writes the
  // bit length into the block's final 8 bytes. Leaves the buffer empty.
  template <class Compress, class PutLength>
  void finish(Compress&& compress, PutLength&& put_length) noexcept {
    // "append a single 1 bit" / "the bit 1 to the end of the message".
    const std::uint64_t bits = total_ * 8;
    buf_[len_++] = std::byte{0x80};
    if (len_ > size - 8) {
      std::fill(buf_.begin() + static_cast<std::ptrdiff_t>(len_), buf_.end(), std::byte{0});
      compress(buf_.data());
      len_ = 0;
    }
    std::fill(buf_.begin() + static_cast<std::ptrdiff_t>(len_), buf_.end() - 8, std::byte{0});
    put_length(buf_.data() + size - 8, bits);
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
