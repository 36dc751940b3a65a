// pinhole::errc and its category.
#include "pinhole/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace pinhole;

TEST(Errors, EveryCodeHasItsOwnMessage) {
  std::set<std::string> messages;
  for (int i = 0; i <= static_cast<int>(errc::no_server_resolved); ++i) {
    const std::error_code ec = make_error_code(static_cast<errc>(i));
    EXPECT_EQ(ec.category().name(), std::string("pinhole"));
    EXPECT_TRUE(messages.insert(ec.message()).second) << ec.message();
    EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << i;
  }
  EXPECT_TRUE(messages.insert(make_error_code(errc::out_of_memory).message()).second);
  EXPECT_EQ(make_error_code(errc::out_of_memory).message(), "out of memory");
  EXPECT_EQ(make_error_code(static_cast<errc>(999)).message(), "unknown pinhole error");
}

TEST(Errors, ValuesAreStableForTheCAbi) {
  // pinhole.h mirrors these numbers; new codes are appended only.
  EXPECT_EQ(static_cast<int>(errc::destination_dependent_mapping), 18);
  EXPECT_EQ(static_cast<int>(errc::no_server_resolved), 19);
  EXPECT_EQ(static_cast<int>(errc::out_of_memory), 100);  // PINHOLE_E_OUT_OF_MEMORY
}

TEST(Errors, ComparesAsAnErrorCodeEnum) {
  const std::error_code ec = errc::timeout;
  EXPECT_EQ(ec, errc::timeout);
  EXPECT_NE(ec, errc::bad_response);
  EXPECT_FALSE(std::error_code(errc::ok));
}
