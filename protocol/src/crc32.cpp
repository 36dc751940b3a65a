// CRC-32 (IEEE 802.3 / ITU-T V.42), reflected form, slicing-by-8.
//
// Reflected (LSB-first) CRC with polynomial 0x04C11DB7, bit-reversed to
// 0xEDB88320. The register is preset to all ones and the result is
// complemented; because the complement is undone on entry, a finished CRC
// can be fed back in to continue over further data.
//
// Slicing-by-8: table[0] is the classic byte-at-a-time table; table[k][b] is
// the CRC contribution of byte b followed by k zero bytes, so eight input
// bytes can be folded into the register with eight independent lookups.
#include "stun/crc32.hpp"

#include <array>

namespace pinhole::stun {
namespace {

constexpr std::uint32_t polynomial = 0xEDB88320U;

using table_t = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table_t make_tables() noexcept {
  table_t t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t r = b;
    for (int bit = 0; bit < 8; ++bit) {
      r = (r & 1U) != 0 ? (r >> 1) ^ polynomial : r >> 1;
    }
    t[0][b] = r;
  }
  for (std::size_t b = 0; b < 256; ++b) {
    for (std::size_t k = 1; k < 8; ++k) {
      const std::uint32_t prev = t[k - 1][b];
      t[k][b] = (prev >> 8) ^ t[0][prev & 0xFFU];
    }
  }
  return t;
}

constexpr table_t tables = make_tables();

// Spot checks of the generated table against well-known entries.
static_assert(tables[0][0] == 0x00000000U);
static_assert(tables[0][1] == 0x77073096U);
static_assert(tables[0][128] == 0xEDB88320U);
static_assert(tables[0][255] == 0x2D02EF8DU);

constexpr std::uint32_t u8(std::byte b) noexcept {
  return static_cast<std::uint32_t>(std::to_integer<std::uint8_t>(b));
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  std::uint32_t r = ~crc;
  const std::byte* p = data.data();
  std::size_t n = data.size();

  // Eight bytes per step; loads are byte-wise, so alignment and host
  // endianness do not matter.
  while (n >= 8) {
    const std::uint32_t lo = r ^ (u8(p[0]) | (u8(p[1]) << 8) | (u8(p[2]) << 16) | (u8(p[3]) << 24));
    const std::uint32_t hi = u8(p[4]) | (u8(p[5]) << 8) | (u8(p[6]) << 16) | (u8(p[7]) << 24);
    r = tables[7][lo & 0xFFU] ^ tables[6][(lo >> 8) & 0xFFU] ^ tables[5][(lo >> 16) & 0xFFU] ^ tables[4][lo >> 24] ^
        tables[3][hi & 0xFFU] ^ tables[2][(hi >> 8) & 0xFFU] ^ tables[1][(hi >> 16) & 0xFFU] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    r = (r >> 8) ^ tables[0][(r ^ u8(*p)) & 0xFFU];
    ++p;
    --n;
  }
  return ~r;
}

}  // namespace pinhole::stun
