// Unit tests for to_json(), i.e. --print-config (daemon/config_print.cpp).
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <limits>
#include <string>
#include <vector>

#include "config.hpp"
#include "config_test_util.hpp"

namespace pinhole::daemon {
namespace {

using namespace test;  // NOLINT

// ---- to_json ----

TEST(ConfigToJson, DefaultsRoundTrip) {
  const config d = default_config();
  const std::string text = to_json(d);
  EXPECT_EQ(text.rfind("{\n  \"listen\": [\n    \"0.0.0.0:3478\",\n    \"[::]:3478\"\n  ],", 0), 0U) << text;
  config back = default_config();
  back.workers = 99;
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(text, back), error)) << error;
  EXPECT_EQ(back, d);
}

TEST(ConfigToJson, EverythingRoundTrips) {
  config c = rfc5780_ok();
  c.rfc5780.advertised_primary_ip = "203.0.113.1";
  c.rfc5780.primary_port = 4000;
  c.software = "pinhole \"quoted\" \xc3\xa9";
  c.level = log_level::error;
  c.workers = 3;
  c.batch = 7;
  c.auth = {true, "u", "p"};
  c.rate_limit = {2.5, 10, 4096, 1e6};
  c.metrics_listen = "[::1]:9641";
  c.allow = {"192.0.2.0/24"};
  c.user = "pinhole";
  c.share_port = true;
  c.drain_grace_ms = 2500;
  ASSERT_EQ(validate_error(c), "");
  config back = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(to_json(c), back), error)) << error;
  EXPECT_EQ(back, c);
}

TEST(ConfigToJson, InvalidUtf8DoesNotThrow) {
  config c = default_config();
  c.software = "\xff\xfe";
  std::string text;
  EXPECT_NO_THROW(text = to_json(c));
  EXPECT_NE(text.find("\"software\""), std::string::npos);
}

}  // namespace
}  // namespace pinhole::daemon
