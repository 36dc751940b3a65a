// load_be: n big-endian bytes as one unsigned integer (the ACL's and the rate
// limiter's view of IP address bytes).
#include "load_be.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

using pinhole::daemon::load_be;

TEST(LoadBe, ReadsTheFirstNBytesMostSignificantFirst) {
  constexpr std::array<std::uint8_t, 8> b{0xC6, 0x33, 0x64, 0x01, 0x20, 0x01, 0x0D, 0xB8};
  EXPECT_EQ(load_be(b.data(), 0), 0U);
  EXPECT_EQ(load_be(b.data(), 1), 0xC6U);
  EXPECT_EQ(load_be(b.data(), 4), 0xC6336401U);  // 198.51.100.1
  EXPECT_EQ(load_be(b.data(), 8), 0xC633640120010DB8ULL);
  static_assert(load_be(b.data(), 2) == 0xC633U);
}

TEST(LoadBe, AllOnesFillTheWholeWord) {
  constexpr std::array<std::uint8_t, 8> ones{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(load_be(ones.data(), 8), ~std::uint64_t{0});
}
