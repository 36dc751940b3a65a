// Unit tests for validate() (daemon/config_validate.cpp).
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

// ---- validate ----

TEST(ConfigValidate, Rfc5780Ok) {
  EXPECT_EQ(validate_error(rfc5780_ok()), "");
  config v6 = rfc5780_ok();
  v6.rfc5780.primary_ip = "2001:db8::1";
  v6.rfc5780.alternate_ip = "2001:db8::2";
  v6.rfc5780.advertised_primary_ip = "2001:db8:1::1";
  EXPECT_EQ(validate_error(v6), "");
}

TEST(ConfigValidate, Rfc5780Failures) {
  config c = rfc5780_ok();
  c.rfc5780.alternate_ip.clear();
  EXPECT_EQ(validate_error(c), "config: rfc5780: enabled but alternate_ip is empty");

  c = rfc5780_ok();
  c.rfc5780.primary_ip.clear();
  EXPECT_EQ(validate_error(c), "config: rfc5780: enabled but primary_ip is empty");

  c = rfc5780_ok();
  c.rfc5780.alternate_ip = "192.0.2.1";
  EXPECT_EQ(validate_error(c), "config: rfc5780: primary_ip and alternate_ip must be different addresses");

  c = rfc5780_ok();
  c.rfc5780.alternate_ip = "2001:db8::2";
  EXPECT_EQ(validate_error(c), "config: rfc5780: primary_ip and alternate_ip must be the same address family");

  c = rfc5780_ok();
  c.rfc5780.alternate_port = c.rfc5780.primary_port;
  EXPECT_EQ(validate_error(c), "config: rfc5780: primary_port and alternate_port must differ");

  c = rfc5780_ok();
  c.rfc5780.primary_port = 0;
  EXPECT_EQ(validate_error(c), "config: rfc5780: ports must be 1-65535");

  c = rfc5780_ok();
  c.rfc5780.primary_ip = "0.0.0.0";
  EXPECT_EQ(validate_error(c), "config: rfc5780: primary_ip must be a specific address, not 0.0.0.0");

  c = rfc5780_ok();
  c.rfc5780.alternate_ip = "bogus";
  EXPECT_EQ(validate_error(c), R"(config: rfc5780: alternate_ip "bogus" is not an IP address)");

  c = rfc5780_ok();
  c.rfc5780.advertised_alternate_ip = "2001:db8::9";
  EXPECT_EQ(validate_error(c),
            "config: rfc5780: advertised_alternate_ip must be the same address family as primary_ip");

  c = rfc5780_ok();
  c.rfc5780.advertised_primary_ip = "nope";
  EXPECT_EQ(validate_error(c), R"(config: rfc5780: advertised_primary_ip "nope" is not an IP address)");
}

TEST(ConfigValidate, Rfc5780DisabledIgnoresMissingIps) {
  config c = default_config();
  c.rfc5780.primary_ip = "192.0.2.1";  // half-configured but off: fine
  EXPECT_EQ(validate_error(c), "");
}

TEST(ConfigValidate, Listen) {
  config c = default_config();
  c.listen.clear();
  EXPECT_EQ(validate_error(c), "config: listen: at least one address is required");

  c = default_config();
  listen_spec dup;
  ASSERT_TRUE(parse_listen("0.0.0.0:3478", dup));
  c.listen.push_back(dup);
  EXPECT_EQ(validate_error(c), R"(config: listen: duplicate address "0.0.0.0:3478")");

  c = default_config();
  ASSERT_TRUE(parse_listen("[0::0]:3478", dup));  // same as "[::]:3478", written differently
  c.listen.push_back(dup);
  EXPECT_EQ(validate_error(c), R"(config: listen: duplicate address "[0::0]:3478")");

  c = default_config();
  c.listen.push_back(listen_spec{});
  EXPECT_EQ(validate_error(c), R"(config: listen: "" has no address family)");
}

TEST(ConfigValidate, AuthNeedsCredentials) {
  config c = default_config();
  c.auth.required = true;
  EXPECT_EQ(validate_error(c), "config: auth: required but username is empty");
  c.auth.username = "alice";
  EXPECT_EQ(validate_error(c), "config: auth: required but password is empty");
  c.auth.password = "pw";
  EXPECT_EQ(validate_error(c), "");
  c.auth.required = false;
  c.auth.password.clear();
  EXPECT_EQ(validate_error(c), "config: auth: username and password must be set together");
  c.auth.username = std::string(509, 'u');
  c.auth.password = "pw";
  EXPECT_EQ(validate_error(c), "config: auth: username must be fewer than 509 bytes");
}

TEST(ConfigValidate, Ranges) {
  config c = default_config();
  c.batch = 0;
  EXPECT_EQ(validate_error(c), "config: batch: must be 1-1024");
  c.batch = 1025;
  EXPECT_EQ(validate_error(c), "config: batch: must be 1-1024");
  c = default_config();
  c.workers = 5000;
  EXPECT_EQ(validate_error(c), "config: workers: must be 0-1024 (0 = one per CPU core)");
  c = default_config();
  c.rate_limit.per_ip_rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(validate_error(c), "config: rate_limit: per_ip_rate must be a number 0-1000000000");
  c = default_config();
  c.rate_limit.global_rate = -1;
  EXPECT_EQ(validate_error(c), "config: rate_limit: global_rate must be a number 0-1000000000");
  c = default_config();
  c.rate_limit.per_ip_burst = 0.5;
  EXPECT_EQ(validate_error(c), "config: rate_limit: per_ip_burst must be 0 or at least 1");
  c = default_config();
  c.rate_limit.table_size = 0;
  EXPECT_EQ(validate_error(c), "config: rate_limit: table_size must be 1-16777216");
}

TEST(ConfigValidate, MetricsAllowSoftwareUser) {
  config c = default_config();
  c.metrics_listen = "127.0.0.1";
  EXPECT_EQ(validate_error(c), R"(config: metrics_listen: "127.0.0.1" is not IP:PORT (IPv6 as [addr]:port))");
  c.metrics_listen = "[::1]:9641";
  EXPECT_EQ(validate_error(c), "");

  c = default_config();
  c.allow = {"10.0.0.0/8", "10.0.0.0/99"};
  EXPECT_EQ(validate_error(c),
            R"(config: allow: "10.0.0.0/99" is not an IP prefix like "198.51.100.0/24" with zero host bits)");

  c = default_config();
  c.software = std::string(127, 's');
  EXPECT_EQ(validate_error(c), "");
  c.software = std::string(128, 's');
  EXPECT_EQ(validate_error(c), "config: software: must be fewer than 128 characters");
  c.software = "\xc3\xa9t\xc3\xa9";  // "été": 3 characters, 5 bytes
  EXPECT_EQ(validate_error(c), "");
  c.software = "bad \xff utf8";
  EXPECT_EQ(validate_error(c), "config: software: not valid UTF-8");

  c = default_config();
  c.user = "no body";
  EXPECT_EQ(validate_error(c), R"(config: user: "no body" is not a valid user name)");
  c.user = "nobody";
  EXPECT_EQ(validate_error(c), "");
}

TEST(ConfigValidate, TextSettingsRefuseControlCharactersAndOverlongValues) {
  auto with_auth = [](std::string user, std::string password) {
    config cfg = default_config();
    cfg.auth.username = std::move(user);
    cfg.auth.password = std::move(password);
    return cfg;
  };
  // RFC 8489 §14.3: USERNAME is OpaqueString (RFC 8265), which disallows
  // control characters; a NUL from "\u0000" in the JSON is one.
  EXPECT_EQ(validate_error(with_auth(std::string("al\0ce", 5), "pw")),
            "config: auth: username must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("al\nce", "pw")),
            "config: auth: username must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("al\xC2\x85"
                                     "ce",
                                     "pw")),  // U+0085, a C1 control
            "config: auth: username must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("\xC3\xA9l\xC3\xA8ve", "pw")), "");  // "élève": fine
  EXPECT_EQ(validate_error(with_auth(std::string(508, 'u'), "pw")), "");
  EXPECT_EQ(validate_error(with_auth(std::string(509, 'u'), "pw")),
            "config: auth: username must be fewer than 509 bytes");
  // The password is OpaqueString too (RFC 8489 §9.1.1: key = OpaqueString(password)).
  EXPECT_EQ(validate_error(with_auth("u", std::string("p\0w", 3))),
            "config: auth: password must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("u", "p\xff")), "config: auth: password is not valid UTF-8");
  EXPECT_EQ(validate_error(with_auth("u", std::string(1024, 'p'))), "");
  EXPECT_EQ(validate_error(with_auth("u", std::string(1025, 'p'))),
            "config: auth: password must be at most 1024 bytes");
  // SOFTWARE (RFC 8489 §14.14) goes into every response: no control characters either.
  config cfg = default_config();
  cfg.software = std::string("pinhole\0x", 9);
  EXPECT_EQ(validate_error(cfg), "config: software: must not contain control characters (NUL, newline, ...)");
  cfg.software = "pinhole\r\n1.0";
  EXPECT_EQ(validate_error(cfg), "config: software: must not contain control characters (NUL, newline, ...)");
  cfg.software = std::string(127, 's');
  EXPECT_EQ(validate_error(cfg), "");
}

TEST(ConfigValidate, NulFromJsonEscapeIsRefused) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(R"({"auth": {"username": "alice\u0000admin", "password": "pw"}})", cfg), error))
      << error;
  EXPECT_EQ(cfg.auth.username.size(), 11U);
  EXPECT_EQ(validate_error(cfg), "config: auth: username must not contain control characters (NUL, newline, ...)");
}

// RFC 5780 mode may bind only its four sockets: an empty listen list is valid
// there (and nowhere else).
TEST(ConfigValidate, EmptyListenOnlyInRfc5780Mode) {
  config c = default_config();
  c.listen.clear();
  EXPECT_EQ(validate_error(c), "config: listen: at least one address is required");
  c = rfc5780_ok();
  c.listen.clear();
  EXPECT_EQ(validate_error(c), "");
}

}  // namespace
}  // namespace pinhole::daemon
