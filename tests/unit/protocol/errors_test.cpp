#include "stun/errors.hpp"

#include <gtest/gtest.h>

using pinhole::stun::errc;

TEST(Errors, CategoryAndMessages) {
  std::error_code ec = errc::bad_fingerprint;
  EXPECT_STREQ(ec.category().name(), "stun");
  EXPECT_EQ(ec.message(), "FINGERPRINT mismatch");
  EXPECT_TRUE(static_cast<bool>(ec));
  EXPECT_FALSE(static_cast<bool>(std::error_code(errc::ok)));
  for (int i = 1; i <= static_cast<int>(errc::not_found); ++i) {
    EXPECT_NE(std::error_code(static_cast<errc>(i)).message(), "unknown stun error") << i;
  }
}
