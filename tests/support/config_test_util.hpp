// Shared helpers of the daemon config unit tests (config_*_test.cpp).
#pragma once

#include <string>

#include "config.hpp"
#include "outcome_util.hpp"

namespace pinhole::daemon::test {

// Applies `json` to the defaults; returns the error ("" on success).
inline std::string apply_error(const std::string& json) {
  config cfg = default_config();
  return apply_json(json, cfg).message();
}

inline std::string validate_error(const config& cfg) { return validate(cfg).message(); }

// A valid RFC 5780 configuration (documentation addresses).
inline config rfc5780_ok() {
  config cfg = default_config();
  cfg.rfc5780.enabled = true;
  cfg.rfc5780.primary_ip = "192.0.2.1";
  cfg.rfc5780.alternate_ip = "192.0.2.2";
  return cfg;
}

}  // namespace pinhole::daemon::test
