// MD5, RFC 1321 §3, written from the specification.
//
// Unlike SHA-1/SHA-256, MD5 is little-endian: message words are read
// least-significant byte first (§2), the bit length is appended low-order
// word first (§3.2), and the digest is output low-order byte first (§3.5).
#include "stun/md5.hpp"

#include <algorithm>
#include <bit>

namespace pinhole::stun {
namespace {

using detail::load_le32;
using detail::store_le32;

// §3.4: T[i] = floor(4294967296 * abs(sin(i))), i = 1..64 (radians).
constexpr std::uint32_t t_table[64] = {
    0xD76AA478U, 0xE8C7B756U, 0x242070DBU, 0xC1BDCEEEU, 0xF57C0FAFU, 0x4787C62AU, 0xA8304613U, 0xFD469501U,
    0x698098D8U, 0x8B44F7AFU, 0xFFFF5BB1U, 0x895CD7BEU, 0x6B901122U, 0xFD987193U, 0xA679438EU, 0x49B40821U,
    0xF61E2562U, 0xC040B340U, 0x265E5A51U, 0xE9B6C7AAU, 0xD62F105DU, 0x02441453U, 0xD8A1E681U, 0xE7D3FBC8U,
    0x21E1CDE6U, 0xC33707D6U, 0xF4D50D87U, 0x455A14EDU, 0xA9E3E905U, 0xFCEFA3F8U, 0x676F02D9U, 0x8D2A4C8AU,
    0xFFFA3942U, 0x8771F681U, 0x6D9D6122U, 0xFDE5380CU, 0xA4BEEA44U, 0x4BDECFA9U, 0xF6BB4B60U, 0xBEBFBC70U,
    0x289B7EC6U, 0xEAA127FAU, 0xD4EF3085U, 0x04881D05U, 0xD9D4D039U, 0xE6DB99E5U, 0x1FA27CF8U, 0xC4AC5665U,
    0xF4292244U, 0x432AFF97U, 0xAB9423A7U, 0xFC93A039U, 0x655B59C3U, 0x8F0CCC92U, 0xFFEFF47DU, 0x85845DD1U,
    0x6FA87E4FU, 0xFE2CE6E0U, 0xA3014314U, 0x4E0811A1U, 0xF7537E82U, 0xBD3AF235U, 0x2AD7D2BBU, 0xEB86D391U,
};

// §3.4: per-round rotation amounts (each round repeats its four shifts).
constexpr int shifts[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// §3.3: initial buffer A, B, C, D (bytes 01 23 45 67 89 ab cd ef ... read
// little-endian).
constexpr std::array<std::uint32_t, 4> md5_h0 = {0x67452301U, 0xEFCDAB89U, 0x98BADCFEU, 0x10325476U};

}  // namespace

md5::md5() noexcept : h_(md5_h0) {}

// §3.4: process one 16-word block.
void md5::compress(const std::byte* block) noexcept {
  std::uint32_t x[16];
  for (std::size_t j = 0; j < 16; ++j) x[j] = load_le32(block + 4 * j);

  std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3];

  for (std::size_t i = 0; i < 64; ++i) {
    const std::size_t round = i / 16;
    std::uint32_t f;
    std::size_t word;
    switch (round) {
      case 0:  // F(X,Y,Z) = XY v not(X) Z; words in order
        f = (b & c) | (~b & d);
        word = i;
        break;
      case 1:  // G(X,Y,Z) = XZ v Y not(Z); words 1, 6, 11, ... (step 5)
        f = (b & d) | (c & ~d);
        word = (1 + 5 * i) % 16;
        break;
      case 2:  // H(X,Y,Z) = X xor Y xor Z; words 5, 8, 11, ... (step 3)
        f = b ^ c ^ d;
        word = (5 + 3 * i) % 16;
        break;
      default:  // I(X,Y,Z) = Y xor (X v not(Z)); words 0, 7, 14, ... (step 7)
        f = c ^ (b | ~d);
        word = (7 * i) % 16;
        break;
    }
    // a = b + ((a + f(b,c,d) + X[k] + T[i]) <<< s), then rotate the roles
    // of a, b, c, d as in the four-operation listing of §3.4.
    const std::uint32_t sum = a + f + x[word] + t_table[i];
    a = d;
    d = c;
    c = b;
    b = b + std::rotl(sum, shifts[round][i % 4]);
  }

  // "Then perform the following additions" (end of §3.4).
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
}

void md5::update(std::span<const std::byte> data) noexcept {
  block_.update(data, [this](const std::byte* block) { compress(block); });
}

md5::digest md5::finish() noexcept {
  // §3.1: append a 1 bit, then zeros until the length is 448 mod 512.
  // §3.2: append the bit length mod 2^64, low-order 32-bit word first.
  block_.finish([this](const std::byte* block) { compress(block); }, detail::hash_block::length_order::little_endian);

  // §3.5: the digest is A, B, C, D, each low-order byte first.
  digest out{};
  for (std::size_t i = 0; i < h_.size(); ++i) store_le32(out.data() + 4 * i, h_[i]);
  *this = md5{};
  return out;
}

md5::digest md5::hash(std::span<const std::byte> data) noexcept {
  md5 hasher;
  hasher.update(data);
  return hasher.finish();
}

}  // namespace pinhole::stun
