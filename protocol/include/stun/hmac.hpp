// HMAC, RFC 2104, over any of the block hashes in this directory
// (hmac<sha1> for MESSAGE-INTEGRITY, RFC 8489 §14.5; hmac<sha256> for
// MESSAGE-INTEGRITY-SHA256, §14.6). Header-only, allocation-free, noexcept.
//
//   HMAC(K, text) = H((K0 XOR opad) || H((K0 XOR ipad) || text))
//
// where K0 is K zero-padded to the hash's block size B, or H(K) zero-padded
// if K is longer than B (RFC 2104 §2), ipad = 0x36 repeated and opad = 0x5C
// repeated B times.
//
// The constructor absorbs both padded keys once. finish() rewinds the
// object to just after that point, so one hmac object can authenticate any
// number of messages under the same key without re-hashing the key.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

namespace pinhole::stun {

template <class Hash>
class hmac {
  static_assert(Hash::block_size >= Hash::digest_size, "RFC 2104 assumes the digest fits in one block (B >= L)");

 public:
  explicit hmac(std::span<const std::byte> key) noexcept {
    // RFC 2104 §2 step (1)/(1'): K0 = K padded with zeros to B bytes, where
    // a key longer than B is first replaced by H(K).
    std::array<std::byte, Hash::block_size> k0{};
    if (key.size() > Hash::block_size) {
      const typename Hash::digest hashed = Hash::hash(key);
      std::copy(hashed.begin(), hashed.end(), k0.begin());
    } else {
      std::copy(key.begin(), key.end(), k0.begin());
    }

    // Steps (2)/(3): start the inner hash with K0 XOR ipad.
    std::array<std::byte, Hash::block_size> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = k0[i] ^ std::byte{0x36};
    inner_start_.update(pad);
    // Steps (5)/(6): start the outer hash with K0 XOR opad.
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = k0[i] ^ std::byte{0x5C};
    outer_start_.update(pad);

    inner_ = inner_start_;
  }

  // Step (3), continued: appends more of the message text.
  void update(std::span<const std::byte> data) noexcept { inner_.update(data); }

  // Steps (4)-(7): returns the MAC and rewinds to the freshly keyed state.
  [[nodiscard]] typename Hash::digest finish() noexcept {
    const typename Hash::digest inner_digest = inner_.finish();
    Hash outer = outer_start_;
    outer.update(inner_digest);
    inner_ = inner_start_;
    return outer.finish();
  }

  [[nodiscard]] static typename Hash::digest compute(std::span<const std::byte> key,
                                                     std::span<const std::byte> data) noexcept {
    hmac mac(key);
    mac.update(data);
    return mac.finish();
  }

 private:
  Hash inner_start_;  // state after absorbing K0 XOR ipad
  Hash outer_start_;  // state after absorbing K0 XOR opad
  Hash inner_;        // inner_start_ plus the text so far
};

}  // namespace pinhole::stun
