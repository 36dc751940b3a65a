#include "stun/channel_data.hpp"

#include <algorithm>

#include "stun/errors.hpp"
#include "stun/reader.hpp"
#include "stun/turn.hpp"

namespace pinhole::stun {

bool looks_like_channel_data(std::span<const std::byte> datagram) noexcept {
  if (datagram.empty()) return false;
  const auto b = std::to_integer<unsigned>(datagram[0]);
  return b >= 64U && b <= 79U;
}

std::size_t encode_channel_data(std::uint16_t channel, std::span<const std::byte> data, std::span<std::byte> out,
                                bool pad) noexcept {
  if (!valid_channel(channel) || data.size() > 0xFFFFU) return 0;
  const std::size_t total = channel_data_size(data.size(), pad);
  if (out.size() < total) return 0;
  store_u16(out.data(), channel);
  // RFC 8656 §12.4: "The Length field specifies the length in bytes of the
  // application data field (i.e., it does not include the size of the
  // ChannelData header)."
  store_u16(out.data() + 2, static_cast<std::uint16_t>(data.size()));
  std::copy(data.begin(), data.end(), out.begin() + channel_data_header_size);
  // "Over UDP, the padding is not required but MAY be included."
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(channel_data_header_size + data.size()),
            out.begin() + static_cast<std::ptrdiff_t>(total), std::byte{0});
  return total;
}

std::error_code decode_channel_data(std::span<const std::byte> datagram, channel_data_view& out) noexcept {
  if (datagram.size() < channel_data_header_size) return errc::truncated;
  const auto channel = load_u16(datagram.data());
  // RFC 8656 §12.4: "If the ChannelData message is received on a channel
  // that is not bound to any peer, then the message is silently discarded";
  // a number outside the channel range is bound to none.
  if (!valid_channel(channel)) return errc::bad_attribute_value;
  const std::size_t len = load_u16(datagram.data() + 2);
  // "If the ChannelData message is received in a UDP datagram and if the UDP
  // datagram is too short to contain the claimed length of the ChannelData
  // message (i.e., the UDP datagram is shorter than 4 + length), then the
  // message is silently discarded."
  if (datagram.size() < channel_data_header_size + len) return errc::truncated;
  // Anything beyond the padding to 4 is not this message.
  if (datagram.size() > channel_data_size(len, true)) return errc::bad_length;
  out.channel = channel;
  out.data = datagram.subspan(channel_data_header_size, len);
  return {};
}

}  // namespace pinhole::stun
