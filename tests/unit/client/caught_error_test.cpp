// caught_error: the errc a noexcept call reports for the exception it caught.
#include "caught_error.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <system_error>

using pinhole::errc;
using pinhole::client::caught_error;

namespace {

template <class F>
std::error_code run(F f) noexcept {
  try {
    f();
    return {};
  } catch (...) {
    return caught_error();
  }
}

}  // namespace

TEST(CaughtError, AllocationFailureIsOutOfMemory) {
  EXPECT_EQ(run([] { throw std::bad_alloc(); }), errc::out_of_memory);
  EXPECT_EQ(run([] { throw std::bad_array_new_length(); }), errc::out_of_memory);
}

TEST(CaughtError, EverythingElseStaysSocketError) {
  EXPECT_EQ(run([] { throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again)); }),
            errc::socket_error);
  EXPECT_EQ(run([] { throw std::runtime_error("x"); }), errc::socket_error);
  EXPECT_EQ(run([] { throw 42; }), errc::socket_error);
  EXPECT_FALSE(run([] {}));
}
