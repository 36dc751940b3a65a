// Test helper for the daemon's `outcome` results (daemon/outcome.hpp).
#pragma once

#include <string>

#include "outcome.hpp"

namespace pinhole::daemon {

// True if `o` succeeded; `message` gets its one-line message ("" on success),
// so an assertion can show it: ASSERT_TRUE(succeeded(f(), error)) << error.
inline bool succeeded(const outcome& o, std::string& message) {
  message = o.message();
  return o.ok();
}

}  // namespace pinhole::daemon
