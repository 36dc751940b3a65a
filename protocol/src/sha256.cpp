// SHA-256, FIPS 180-4 §6.2, written from the specification.
#include "stun/sha256.hpp"

#include <algorithm>
#include <bit>

namespace pinhole::stun {
namespace {

using detail::load_be32;
using detail::store_be32;

// §4.2.2: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes.
constexpr std::uint32_t sha256_k[64] = {
    0x428A2F98U, 0x71374491U, 0xB5C0FBCFU, 0xE9B5DBA5U, 0x3956C25BU, 0x59F111F1U, 0x923F82A4U, 0xAB1C5ED5U,
    0xD807AA98U, 0x12835B01U, 0x243185BEU, 0x550C7DC3U, 0x72BE5D74U, 0x80DEB1FEU, 0x9BDC06A7U, 0xC19BF174U,
    0xE49B69C1U, 0xEFBE4786U, 0x0FC19DC6U, 0x240CA1CCU, 0x2DE92C6FU, 0x4A7484AAU, 0x5CB0A9DCU, 0x76F988DAU,
    0x983E5152U, 0xA831C66DU, 0xB00327C8U, 0xBF597FC7U, 0xC6E00BF3U, 0xD5A79147U, 0x06CA6351U, 0x14292967U,
    0x27B70A85U, 0x2E1B2138U, 0x4D2C6DFCU, 0x53380D13U, 0x650A7354U, 0x766A0ABBU, 0x81C2C92EU, 0x92722C85U,
    0xA2BFE8A1U, 0xA81A664BU, 0xC24B8B70U, 0xC76C51A3U, 0xD192E819U, 0xD6990624U, 0xF40E3585U, 0x106AA070U,
    0x19A4C116U, 0x1E376C08U, 0x2748774CU, 0x34B0BCB5U, 0x391C0CB3U, 0x4ED8AA4AU, 0x5B9CCA4FU, 0x682E6FF3U,
    0x748F82EEU, 0x78A5636FU, 0x84C87814U, 0x8CC70208U, 0x90BEFFFAU, 0xA4506CEBU, 0xBEF9A3F7U, 0xC67178F2U,
};

// §5.3.3: initial hash value H(0), the first 32 bits of the fractional parts
// of the square roots of the first 8 primes.
constexpr std::array<std::uint32_t, 8> sha256_h0 = {0x6A09E667U, 0xBB67AE85U, 0x3C6EF372U, 0xA54FF53AU,
                                                    0x510E527FU, 0x9B05688CU, 0x1F83D9ABU, 0x5BE0CD19U};

// §4.1.2: the six logical functions.
constexpr std::uint32_t ch(std::uint32_t x, std::uint32_t y, std::uint32_t z) noexcept { return (x & y) ^ (~x & z); }
constexpr std::uint32_t maj(std::uint32_t x, std::uint32_t y, std::uint32_t z) noexcept {
  return (x & y) ^ (x & z) ^ (y & z);
}
constexpr std::uint32_t big_sigma0(std::uint32_t x) noexcept {
  return std::rotr(x, 2) ^ std::rotr(x, 13) ^ std::rotr(x, 22);
}
constexpr std::uint32_t big_sigma1(std::uint32_t x) noexcept {
  return std::rotr(x, 6) ^ std::rotr(x, 11) ^ std::rotr(x, 25);
}
constexpr std::uint32_t small_sigma0(std::uint32_t x) noexcept { return std::rotr(x, 7) ^ std::rotr(x, 18) ^ (x >> 3); }
constexpr std::uint32_t small_sigma1(std::uint32_t x) noexcept {
  return std::rotr(x, 17) ^ std::rotr(x, 19) ^ (x >> 10);
}

// SHA-256 is big-endian throughout (§3.1 / §5.2.1).
}  // namespace

sha256::sha256() noexcept : h_(sha256_h0) {}

// §6.2.2: the hash computation for one 512-bit message block.
void sha256::compress(const std::byte* block) noexcept {
  // Step 1: message schedule W0..W63.
  std::uint32_t w[64];
  for (std::size_t t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
  for (std::size_t t = 16; t < 64; ++t) {
    w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
  }

  // Step 2: initialise the working variables.
  std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3];
  std::uint32_t e = h_[4], f = h_[5], g = h_[6], h = h_[7];

  // Step 3: 64 rounds.
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + sha256_k[t] + w[t];
    const std::uint32_t t2 = big_sigma0(a) + maj(a, b, c);
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }

  // Step 4: the intermediate hash value H(i).
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

void sha256::update(std::span<const std::byte> data) noexcept {
  block_.update(data, [this](const std::byte* block) { compress(block); });
}

sha256::digest sha256::finish() noexcept {
  // §5.1.1 padding: a single 1 bit, zeros until the length is 448 mod 512,
  // then the message length in bits as a 64-bit big-endian integer.
  block_.finish([this](const std::byte* block) { compress(block); }, detail::hash_block::length_order::big_endian);

  // §6.2.2: the digest is H0 || H1 || ... || H7.
  digest out{};
  for (std::size_t i = 0; i < h_.size(); ++i) store_be32(out.data() + 4 * i, h_[i]);
  *this = sha256{};
  return out;
}

sha256::digest sha256::hash(std::span<const std::byte> data) noexcept {
  sha256 hasher;
  hasher.update(data);
  return hasher.finish();
}

}  // namespace pinhole::stun
