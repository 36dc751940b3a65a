// What a noexcept API call reports for the exception it caught: call only
// inside a catch block. std::bad_alloc is errc::out_of_memory (the C ABI's
// PINHOLE_E_OUT_OF_MEMORY); anything else (std::system_error from a thread,
// mutex or condition variable) stays errc::socket_error as before.
#pragma once

#include <new>
#include <system_error>

#include "pinhole/errors.hpp"

namespace pinhole::client {

inline std::error_code caught_error() noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return make_error_code(errc::out_of_memory);
  } catch (...) {
    return make_error_code(errc::socket_error);
  }
}

}  // namespace pinhole::client
