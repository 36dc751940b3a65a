// The one error style of the daemon's fallible startup/reload-path functions
// (config, acl, server): an `outcome` carrying a std::error_code (what went
// wrong, for code) and the one line users see (for logs and stderr).
// Per-packet code does not use it: it returns plain std::error_code.
#pragma once

#include <string>
#include <system_error>
#include <utility>

namespace pinhole::daemon {

enum class daemon_errc {
  invalid_json = 1,   // a config document that is not (acceptable) JSON
  invalid_setting,    // a setting out of its type or range, or inconsistent with another
  unreadable_config,  // the config file cannot be read
  nothing_to_listen,  // no listener, or no inherited socket
};

}  // namespace pinhole::daemon

template <>
struct std::is_error_code_enum<pinhole::daemon::daemon_errc> : std::true_type {};

namespace pinhole::daemon {

const std::error_category& daemon_category() noexcept;
inline std::error_code make_error_code(daemon_errc e) noexcept { return {static_cast<int>(e), daemon_category()}; }

class [[nodiscard]] outcome {
 public:
  outcome() = default;  // success
  outcome(std::error_code code, std::string message) : code_(code), message_(std::move(message)) {}
  outcome(daemon_errc code, std::string message) : outcome(make_error_code(code), std::move(message)) {}

  bool ok() const noexcept { return !code_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::error_code& code() const noexcept { return code_; }
  // One line, no trailing newline; empty on success.
  const std::string& message() const noexcept { return message_; }

 private:
  std::error_code code_;
  std::string message_;
};

}  // namespace pinhole::daemon
