// Unit tests for the JSON loader (daemon/config_json.cpp): apply_json.
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

// ---- apply_json: every key ----

TEST(ConfigJson, EmptyObjectChangesNothing) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json("{}", cfg), error)) << error;
  EXPECT_EQ(cfg, default_config());
}

TEST(ConfigJson, EveryKey) {
  const std::string doc = R"({
    "listen": ["127.0.0.1:3478", "[::1]:3479"],
    "rfc5780": {"enabled": true, "primary_ip": "127.0.0.1", "alternate_ip": "127.0.0.2",
                "primary_port": 4478, "alternate_port": 4479,
                "advertised_primary_ip": "203.0.113.1", "advertised_alternate_ip": "203.0.113.2"},
    "software": "pinhole test",
    "log_level": "debug",
    "workers": 4,
    "batch": 64,
    "coalesce_us": 300,
    "auth": {"required": true, "username": "alice", "password": "s3cret"},
    "rate_limit": {"per_ip_rate": 10.5, "per_ip_burst": 20, "table_size": 1024, "global_rate": 50000},
    "metrics_listen": "127.0.0.1:9641",
    "allow": ["198.51.100.0/24", "2001:db8::/32"],
    "user": "pinhole",
    "drain_grace_ms": 0
  })";
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(doc, cfg), error)) << error;
  ASSERT_EQ(cfg.listen.size(), 2U);
  EXPECT_EQ(cfg.listen[0].text, "127.0.0.1:3478");
  EXPECT_EQ(cfg.listen[0].addr.fam, stun::family::ipv4);
  EXPECT_EQ(cfg.listen[0].addr.ip[0], 127);
  EXPECT_EQ(cfg.listen[0].addr.ip[3], 1);
  EXPECT_EQ(cfg.listen[1].text, "[::1]:3479");
  EXPECT_EQ(cfg.listen[1].addr.fam, stun::family::ipv6);
  EXPECT_EQ(cfg.listen[1].addr.port, 3479);
  EXPECT_TRUE(cfg.rfc5780.enabled);
  EXPECT_EQ(cfg.rfc5780.primary_ip, "127.0.0.1");
  EXPECT_EQ(cfg.rfc5780.alternate_ip, "127.0.0.2");
  EXPECT_EQ(cfg.rfc5780.primary_port, 4478);
  EXPECT_EQ(cfg.rfc5780.alternate_port, 4479);
  EXPECT_EQ(cfg.rfc5780.advertised_primary_ip, "203.0.113.1");
  EXPECT_EQ(cfg.rfc5780.advertised_alternate_ip, "203.0.113.2");
  EXPECT_EQ(cfg.software, "pinhole test");
  EXPECT_EQ(cfg.level, log_level::debug);
  EXPECT_EQ(cfg.workers, 4U);
  EXPECT_EQ(cfg.batch, 64U);
  EXPECT_EQ(cfg.coalesce_us, 300U);
  EXPECT_TRUE(cfg.auth.required);
  EXPECT_EQ(cfg.auth.username, "alice");
  EXPECT_EQ(cfg.auth.password, "s3cret");
  EXPECT_EQ(cfg.rate_limit.per_ip_rate, 10.5);
  EXPECT_EQ(cfg.rate_limit.per_ip_burst, 20.0);
  EXPECT_EQ(cfg.rate_limit.table_size, 1024U);
  EXPECT_EQ(cfg.rate_limit.global_rate, 50000.0);
  EXPECT_EQ(cfg.metrics_listen, "127.0.0.1:9641");
  EXPECT_EQ(cfg.drain_grace_ms, 0U);  // 0 = drop as soon as the drain starts
  EXPECT_EQ(cfg.allow, (std::vector<prefix_setting>{"198.51.100.0/24", "2001:db8::/32"}));
  EXPECT_EQ(cfg.user, "pinhole");
  EXPECT_EQ(validate_error(cfg), "");
}

TEST(ConfigJson, NestedObjectsMergeKeyByKey) {
  config cfg = default_config();
  cfg.rfc5780.primary_ip = "192.0.2.1";
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(R"({"rfc5780": {"alternate_port": 5000}})", cfg), error)) << error;
  EXPECT_EQ(cfg.rfc5780.primary_ip, "192.0.2.1");
  EXPECT_EQ(cfg.rfc5780.primary_port, 3478);
  EXPECT_EQ(cfg.rfc5780.alternate_port, 5000);
}

TEST(ConfigJson, ListsAreReplacedNotAppended) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(R"({"listen": ["[::1]:3478"], "allow": ["10.0.0.0/8"]})", cfg), error)) << error;
  ASSERT_EQ(cfg.listen.size(), 1U);
  EXPECT_EQ(cfg.listen[0].text, "[::1]:3478");
  ASSERT_TRUE(succeeded(apply_json(R"({"allow": ["192.0.2.7"]})", cfg), error)) << error;
  EXPECT_EQ(cfg.allow, (std::vector<prefix_setting>{"192.0.2.7"}));
}

TEST(ConfigJson, IPv6ListenLoopback) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(R"({"listen": ["[::1]:3478"]})", cfg), error)) << error;
  ASSERT_EQ(cfg.listen.size(), 1U);
  EXPECT_EQ(cfg.listen[0].addr.fam, stun::family::ipv6);
  EXPECT_EQ(cfg.listen[0].addr.port, 3478);
  std::array<std::uint8_t, 16> loopback{};
  loopback[15] = 1;
  EXPECT_EQ(cfg.listen[0].addr.ip, loopback);
}

TEST(ConfigJson, LogLevelNames) {
  for (const auto& [name, level] : std::vector<std::pair<std::string, log_level>>{{"debug", log_level::debug},
                                                                                  {"info", log_level::info},
                                                                                  {"warning", log_level::warning},
                                                                                  {"warn", log_level::warning},
                                                                                  {"error", log_level::error}}) {
    config cfg = default_config();
    std::string error;
    ASSERT_TRUE(succeeded(apply_json(R"({"log_level": ")" + name + "\"}", cfg), error)) << error;
    EXPECT_EQ(cfg.level, level) << name;
  }
}

TEST(ConfigJson, CommentsAreAllowed) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(apply_json("{\n  // workers\n  \"workers\": 2 /* two */\n}", cfg), error)) << error;
  EXPECT_EQ(cfg.workers, 2U);
}

TEST(ConfigJson, BoundaryValuesAccepted) {
  EXPECT_EQ(apply_error(R"({"batch": 1})"), "");
  EXPECT_EQ(apply_error(R"({"batch": 1024})"), "");
  EXPECT_EQ(apply_error(R"({"workers": 1024})"), "");
  EXPECT_EQ(apply_error(R"({"rfc5780": {"primary_port": 1, "alternate_port": 65535}})"), "");
  EXPECT_EQ(apply_error(R"({"listen": ["127.0.0.1:0", "127.0.0.1:65535"]})"), "");
  EXPECT_EQ(apply_error(R"({"rate_limit": {"per_ip_rate": 0.5, "table_size": 16777216}})"), "");
}

// ---- apply_json: errors ----

TEST(ConfigJsonErrors, UnknownTopLevelKey) {
  EXPECT_EQ(apply_error(R"({"lisen": []})"), R"(config: unknown key "lisen" at /)");
}

TEST(ConfigJsonErrors, UnknownNestedKeys) {
  EXPECT_EQ(apply_error(R"({"rfc5780": {"enable": true}})"), R"(config: unknown key "enable" at /rfc5780)");
  EXPECT_EQ(apply_error(R"({"auth": {"user": "x"}})"), R"(config: unknown key "user" at /auth)");
  EXPECT_EQ(apply_error(R"({"rate_limit": {"burst": 1}})"), R"(config: unknown key "burst" at /rate_limit)");
}

TEST(ConfigJsonErrors, UnknownKeyWithStrangeCharactersStaysOneLine) {
  const std::string e = apply_error("{\"a\\nb\": 1}");
  EXPECT_EQ(e, R"(config: unknown key "a\nb" at /)");
}

TEST(ConfigJsonErrors, DocumentedPortMessage) {
  EXPECT_EQ(apply_error(R"({"rfc5780": {"primary_port": "x"}})"),
            R"(config: /rfc5780/primary_port: expected integer 1-65535, got "x")");
}

struct bad_case {
  const char* json;
  const char* error;
};

class ConfigJsonBadValue : public ::testing::TestWithParam<bad_case> {};

TEST_P(ConfigJsonBadValue, GivesOneExactLine) {
  const auto& c = GetParam();
  EXPECT_EQ(apply_error(c.json), c.error) << c.json;
}

INSTANTIATE_TEST_SUITE_P(
    WrongTypesAndRanges, ConfigJsonBadValue,
    ::testing::Values(
        bad_case{R"([1])", R"(config: /: expected object, got [1])"},
        bad_case{R"("x")", R"(config: /: expected object, got "x")"},
        bad_case{R"({"listen": "0.0.0.0:3478"})", R"(config: /listen: expected array of strings, got "0.0.0.0:3478")"},
        bad_case{R"({"listen": [3478]})", R"(config: /listen/0: expected string, got 3478)"},
        bad_case{R"({"listen": ["0.0.0.0:3478", "1.2.3.4"]})",
                 R"(config: /listen/1: expected IP:PORT (IPv6 as [addr]:port), got "1.2.3.4")"},
        bad_case{R"({"listen": ["1.2.3.4:65536"]})",
                 R"(config: /listen/0: expected IP:PORT (IPv6 as [addr]:port), got "1.2.3.4:65536")"},
        bad_case{R"({"listen": ["::1:3478"]})",
                 R"(config: /listen/0: expected IP:PORT (IPv6 as [addr]:port), got "::1:3478")"},
        bad_case{R"({"rfc5780": []})", R"(config: /rfc5780: expected object, got [])"},
        bad_case{R"({"rfc5780": {"enabled": "yes"}})",
                 R"(config: /rfc5780/enabled: expected true or false, got "yes")"},
        bad_case{R"({"rfc5780": {"enabled": 1}})", R"(config: /rfc5780/enabled: expected true or false, got 1)"},
        bad_case{R"({"rfc5780": {"primary_port": 0}})",
                 R"(config: /rfc5780/primary_port: expected integer 1-65535, got 0)"},
        bad_case{R"({"rfc5780": {"primary_port": 65536}})",
                 R"(config: /rfc5780/primary_port: expected integer 1-65535, got 65536)"},
        bad_case{R"({"rfc5780": {"alternate_port": -1}})",
                 R"(config: /rfc5780/alternate_port: expected integer 1-65535, got -1)"},
        bad_case{R"({"rfc5780": {"alternate_port": 3479.5}})",
                 R"(config: /rfc5780/alternate_port: expected integer 1-65535, got 3479.5)"},
        bad_case{R"({"rfc5780": {"primary_ip": "127.0.0.256"}})",
                 R"(config: /rfc5780/primary_ip: expected IP address or "", got "127.0.0.256")"},
        bad_case{R"({"rfc5780": {"alternate_ip": "localhost"}})",
                 R"(config: /rfc5780/alternate_ip: expected IP address or "", got "localhost")"},
        bad_case{R"({"rfc5780": {"advertised_primary_ip": "[::1]"}})",
                 R"(config: /rfc5780/advertised_primary_ip: expected IP address or "", got "[::1]")"},
        bad_case{R"({"rfc5780": {"advertised_alternate_ip": 7}})",
                 R"(config: /rfc5780/advertised_alternate_ip: expected string, got 7)"},
        bad_case{R"({"software": null})", R"(config: /software: expected string, got null)"},
        bad_case{R"({"log_level": "loud"})",
                 R"(config: /log_level: expected one of "debug", "info", "warning", "error", got "loud")"},
        bad_case{R"({"log_level": 1})", R"(config: /log_level: expected string, got 1)"},
        bad_case{R"({"workers": -1})", R"(config: /workers: expected integer 0-1024, got -1)"},
        bad_case{R"({"workers": 1025})", R"(config: /workers: expected integer 0-1024, got 1025)"},
        bad_case{R"({"workers": "4"})", R"(config: /workers: expected integer 0-1024, got "4")"},
        bad_case{R"({"batch": 0})", R"(config: /batch: expected integer 1-1024, got 0)"},
        bad_case{R"({"batch": 1025})", R"(config: /batch: expected integer 1-1024, got 1025)"},
        bad_case{R"({"coalesce_us": 10001})", R"(config: /coalesce_us: expected integer 0-10000, got 10001)"},
        bad_case{R"({"coalesce_us": 1.5})", R"(config: /coalesce_us: expected integer 0-10000, got 1.5)"},
        bad_case{R"({"drain_grace_ms": 3600001})",
                 R"(config: /drain_grace_ms: expected integer 0-3600000, got 3600001)"},
        bad_case{R"({"drain_grace_ms": -1})", R"(config: /drain_grace_ms: expected integer 0-3600000, got -1)"},
        bad_case{R"({"batch": 18446744073709551616})",
                 R"(config: /batch: expected integer 1-1024, got 1.8446744073709552e+19)"},
        bad_case{R"({"auth": "x"})", R"(config: /auth: expected object, got "x")"},
        bad_case{R"({"auth": {"required": "true"}})", R"(config: /auth/required: expected true or false, got "true")"},
        bad_case{R"({"auth": {"username": 1}})", R"(config: /auth/username: expected string, got 1)"},
        bad_case{R"({"auth": {"password": false}})", R"(config: /auth/password: expected string, got false)"},
        bad_case{R"({"rate_limit": {"per_ip_rate": -1}})",
                 R"(config: /rate_limit/per_ip_rate: expected number 0-1000000000, got -1)"},
        bad_case{R"({"rate_limit": {"per_ip_burst": "5"}})",
                 R"(config: /rate_limit/per_ip_burst: expected number 0-1000000000, got "5")"},
        bad_case{R"({"rate_limit": {"global_rate": 1e10}})",
                 R"(config: /rate_limit/global_rate: expected number 0-1000000000, got 10000000000.0)"},
        bad_case{R"({"rate_limit": {"table_size": 0}})",
                 R"(config: /rate_limit/table_size: expected integer 1-16777216, got 0)"},
        bad_case{R"({"metrics_listen": "localhost:9641"})",
                 R"(config: /metrics_listen: expected IP:PORT or "", got "localhost:9641")"},
        bad_case{R"({"allow": "10.0.0.0/8"})", R"(config: /allow: expected array of strings, got "10.0.0.0/8")"},
        bad_case{
            R"({"allow": ["10.0.0.1/8"]})",
            R"(config: /allow/0: expected IP prefix like "198.51.100.0/24" with zero host bits, got "10.0.0.1/8")"},
        bad_case{
            R"({"allow": ["10.0.0.0/33"]})",
            R"(config: /allow/0: expected IP prefix like "198.51.100.0/24" with zero host bits, got "10.0.0.0/33")"},
        bad_case{R"({"user": 0})", R"(config: /user: expected string, got 0)"}));

TEST(ConfigJsonErrors, LongValuesAreShortenedInMessages) {
  const std::string e =
      apply_error(R"({"software": ")" + std::string(200, 'a') + R"(", "user": [")" + std::string(200, 'b') + "\"]}");
  EXPECT_EQ(e, "config: /user: expected string, got [\"" + std::string(35, 'b') + "...");
}

TEST(ConfigJsonErrors, DuplicateKeys) {
  EXPECT_EQ(apply_error(R"({"batch": 1, "batch": 2})"), R"(config: duplicate key "batch" at /)");
  EXPECT_EQ(apply_error(R"({"rfc5780": {"primary_port": 1, "primary_port": 2}})"),
            R"(config: duplicate key "primary_port" at /rfc5780)");
  EXPECT_EQ(apply_error(R"({"listen": [], "x": [{"a": 1}, {"b": 1, "b": 2}]})"),
            R"(config: duplicate key "b" at /x/1)");
}

TEST(ConfigJsonErrors, SyntaxErrorsGiveLineAndByte) {
  const std::string e = apply_error("{\n  \"listen\": [\n}\n");
  EXPECT_EQ(e.rfind("config: invalid JSON: parse error at line 3, column 1", 0), 0U) << e;
  EXPECT_NE(e.find("(byte "), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(ConfigJsonErrors, EmptyAndTruncatedDocuments) {
  for (const char* doc : {"", "{", "{\"batch\": ", "{\"batch\": 1,}", "{} {}", "\xff"}) {
    const std::string e = apply_error(doc);
    EXPECT_EQ(e.rfind("config: invalid JSON: ", 0), 0U) << doc << " -> " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

// ---- hostile documents: bounded depth, bounded messages ----

TEST(ConfigJsonErrors, DeepNestingIsRefusedBeforeParsing) {
  // 100,000 nested arrays (200 KB, under the 1 MiB cap) used to overflow the
  // stack in the error path (json::dump of the whole value).
  for (const std::string& doc : {std::string(100000, '[') + std::string(100000, ']'),
                                 R"({"listen": )" + std::string(100000, '[') + std::string(100000, ']') + "}",
                                 R"({"x": )" + std::string(50000, '{') + "}"}) {
    const std::string e = apply_error(doc);
    EXPECT_EQ(e.rfind("config: invalid JSON: nested deeper than 32 levels (byte ", 0), 0U) << e.substr(0, 200);
    EXPECT_EQ(e.find('\n'), std::string::npos);
  }
  // The byte named is the bracket that goes one level too deep.
  EXPECT_EQ(apply_error(std::string(33, '[') + std::string(33, ']')),
            "config: invalid JSON: nested deeper than 32 levels (byte 33)");
  // 32 levels are still parsed (and then refused by the schema, briefly).
  EXPECT_EQ(apply_error(R"({"user": )" + std::string(31, '[') + std::string(31, ']') + "}"),
            "config: /user: expected string, got [[[[[...]]]]]");
}

TEST(ConfigJsonErrors, BracketsInStringsAndCommentsDoNotCount) {
  const std::string many(100, '[');
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(
      apply_json("// " + many + "\n/* " + many + " */ {\"software\": \"" + many + "\\\"" + many + "\"}", cfg), error))
      << error;
  EXPECT_EQ(cfg.software, many + "\"" + many);
}

TEST(ConfigJsonErrors, WideValuesAreShownBriefly) {
  std::string wide = R"({"user": [)";
  for (int i = 0; i < 50000; ++i) wide += "1,";
  wide += "1]}";
  std::string shown = "[";
  for (int i = 0; i < 18; ++i) shown += "1,";
  EXPECT_EQ(apply_error(wide), "config: /user: expected string, got " + shown + "...");
  EXPECT_EQ(apply_error(R"({"user": {"a": {"b": [1, {"c": 2}]}}})"),
            R"(config: /user: expected string, got {"a":{"b":[1,{"c":2}]}})");
}

TEST(ConfigJsonErrors, NumberTooLargeForADoubleIsOneCleanLine) {
  EXPECT_EQ(apply_error(R"({"rate_limit": {"global_rate": 1e400}})"),
            "config: invalid JSON: number 1e400 is out of range");
  EXPECT_EQ(apply_error(R"({"batch": -1e999})"), "config: invalid JSON: number -1e999 is out of range");
  const std::string e = apply_error(R"({"batch": 1)" + std::string(400, '0') + "e9999}");
  EXPECT_EQ(e.rfind("config: invalid JSON: number 1000", 0), 0U) << e;
  EXPECT_NE(e.find("... is out of range"), std::string::npos) << e;
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
}

TEST(ConfigJsonErrors, FailureLeavesConfigUntouched) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(apply_json(R"({"workers": 3, "batch": 0})", cfg), error));
  EXPECT_EQ(cfg, default_config());
  EXPECT_FALSE(succeeded(apply_json(R"({"listen": ["127.0.0.1:1"], "zzz": 1})", cfg), error));
  EXPECT_EQ(cfg, default_config());
}

TEST(ConfigLoad, SharePort) {
  config c = default_config();
  EXPECT_FALSE(c.share_port);
  std::string error;
  ASSERT_TRUE(succeeded(apply_json(R"({"share_port": true})", c), error)) << error;
  EXPECT_TRUE(c.share_port);
  EXPECT_FALSE(succeeded(apply_json(R"({"share_port": 1})", c), error));
  EXPECT_EQ(error, "config: /share_port: expected true or false, got 1");
}

}  // namespace
}  // namespace pinhole::daemon
