// TURN ChannelData framing (RFC 8656 §12.4), socket-free: a 2-byte channel
// number, a 2-byte length of the application data, the data, and over UDP
// optional padding to a multiple of 4. No heap allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace pinhole::stun {

inline constexpr std::size_t channel_data_header_size = 4;

struct channel_data_view {
  std::uint16_t channel = 0;
  std::span<const std::byte> data;  // exactly `length` bytes, padding excluded
};

// RFC 7983 §7: a first byte of 64..79 is TURN ChannelData.
bool looks_like_channel_data(std::span<const std::byte> datagram) noexcept;

// Writes header + data (+ zero padding when `pad`) into `out`. Returns the
// number of bytes written, 0 if the channel is not a valid channel number,
// the data does not fit the 16-bit length or `out` is too small.
std::size_t encode_channel_data(std::uint16_t channel, std::span<const std::byte> data, std::span<std::byte> out,
                                bool pad = true) noexcept;
// Size encode_channel_data needs.
constexpr std::size_t channel_data_size(std::size_t data_len, bool pad = true) noexcept {
  const std::size_t n = channel_data_header_size + data_len;
  return pad ? (n + 3U) & ~std::size_t{3} : n;
}

// Decodes one ChannelData message that fills a UDP datagram (padding
// allowed). errc::truncated when the datagram is shorter than the header or
// the claimed length, errc::bad_attribute_value for a channel number outside
// 0x4000-0x4FFF, errc::bad_length for more than 3 bytes after the data.
std::error_code decode_channel_data(std::span<const std::byte> datagram, channel_data_view& out) noexcept;

}  // namespace pinhole::stun
