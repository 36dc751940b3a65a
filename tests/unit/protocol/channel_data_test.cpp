#include "stun/channel_data.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stun/errors.hpp"
#include "test_bytes.hpp"

using namespace pinhole::stun;
using pinhole::test::hex;
using pinhole::test::to_hex;

TEST(ChannelData, EncodesHeaderDataAndPadding) {
  const auto payload = hex("8000 0001 02");
  std::array<std::byte, 16> out{};
  out.fill(std::byte{0xEE});
  const auto n = encode_channel_data(0x4001, payload, out);
  ASSERT_EQ(n, 12U);  // 4 + 5 padded to 12
  EXPECT_EQ(to_hex(std::span(out).first(n)),
            "40010005800000010200"
            "0000");
  EXPECT_EQ(encode_channel_data(0x4001, payload, out, false), 9U);
}

TEST(ChannelData, RefusesBadChannelOrSmallBuffer) {
  const auto payload = hex("01020304");
  std::array<std::byte, 7> small{};
  std::array<std::byte, 64> big{};
  EXPECT_EQ(encode_channel_data(0x4000, payload, small), 0U);
  EXPECT_EQ(encode_channel_data(0x3FFF, payload, big), 0U);
  EXPECT_EQ(encode_channel_data(0x5000, payload, big), 0U);
  EXPECT_EQ(encode_channel_data(0x4FFF, payload, big), 8U);
}

TEST(ChannelData, RoundTripsPaddedAndUnpadded) {
  const auto payload = hex("80 11 22");
  for (bool pad : {true, false}) {
    std::array<std::byte, 16> out{};
    const auto n = encode_channel_data(0x4abc, payload, out, pad);
    channel_data_view v;
    ASSERT_FALSE(decode_channel_data(std::span(out).first(n), v));
    EXPECT_EQ(v.channel, 0x4abc);
    EXPECT_EQ(to_hex(v.data), "801122");
  }
}

TEST(ChannelData, LengthPastTheDatagramIsDiscarded) {
  // RFC 8656 §12.4: shorter than 4 + length: silently discarded.
  channel_data_view v;
  EXPECT_EQ(decode_channel_data(hex("4000 0008 01020304"), v), errc::truncated);
  EXPECT_EQ(decode_channel_data(hex("4000 ffff"), v), errc::truncated);
  EXPECT_EQ(decode_channel_data(hex("4000 00"), v), errc::truncated);
  EXPECT_EQ(decode_channel_data({}, v), errc::truncated);
}

TEST(ChannelData, RejectsReservedChannelsAndTrailingBytes) {
  channel_data_view v;
  EXPECT_EQ(decode_channel_data(hex("5000 0000"), v), errc::bad_attribute_value);
  EXPECT_EQ(decode_channel_data(hex("3fff 0000"), v), errc::bad_attribute_value);
  EXPECT_EQ(decode_channel_data(hex("4000 0001 aa000000 00"), v), errc::bad_length);
  ASSERT_FALSE(decode_channel_data(hex("4000 0000"), v));
  EXPECT_TRUE(v.data.empty());
}

TEST(ChannelData, FirstByteDemultiplexing) {
  // RFC 7983 §7: 64..79 is TURN ChannelData; STUN 0..3, RTP 128..191.
  EXPECT_TRUE(looks_like_channel_data(hex("40")));
  EXPECT_TRUE(looks_like_channel_data(hex("4f")));
  EXPECT_FALSE(looks_like_channel_data(hex("3f")));
  EXPECT_FALSE(looks_like_channel_data(hex("50")));
  EXPECT_FALSE(looks_like_channel_data(hex("80")));
  EXPECT_FALSE(looks_like_channel_data({}));
}
