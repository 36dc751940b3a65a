// CRC-32 as used by the STUN FINGERPRINT attribute (RFC 8489 §14.7), which
// specifies "the CRC-32 of the STUN message ... as defined in ITU V.42",
// i.e. the IEEE 802.3 CRC: reflected polynomial 0xEDB88320, initial value
// 0xFFFFFFFF, final XOR 0xFFFFFFFF. (FINGERPRINT then XORs the result with
// 0x5354554E; that is the caller's job, not this function's.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace pinhole::stun {

// Returns the CRC-32 of `data`. Incremental: pass the previous result as
// `crc` to continue, so crc32(b, crc32(a)) == crc32(a || b). The default 0
// is the CRC of the empty message, so a one-shot call needs no second argument.
[[nodiscard]] std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

}  // namespace pinhole::stun
