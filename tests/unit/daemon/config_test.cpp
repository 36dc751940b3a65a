// Unit tests for the pinholed configuration model (daemon/config.hpp).
#include "config.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "temp_file.hpp"

namespace pinhole::daemon {
namespace {

using test::temp_file;
using stun::family;

// Applies `json` to the defaults; returns the error ("" on success).
std::string apply_error(const std::string& json) {
  config cfg = default_config();
  std::string error;
  if (apply_json(json, cfg, error)) return "";
  return error;
}

std::string validate_error(const config& cfg) {
  std::string error;
  if (validate(cfg, error)) return "";
  return error;
}

config rfc5780_ok() {
  config cfg = default_config();
  cfg.rfc5780.enabled = true;
  cfg.rfc5780.primary_ip = "192.0.2.1";
  cfg.rfc5780.alternate_ip = "192.0.2.2";
  return cfg;
}

// ---- defaults ----

TEST(ConfigDefaults, MatchTheDocumentedValues) {
  const config cfg = default_config();
  ASSERT_EQ(cfg.listen.size(), 2U);
  EXPECT_EQ(cfg.listen[0].text, "0.0.0.0:3478");
  EXPECT_EQ(cfg.listen[0].addr.fam, family::ipv4);
  EXPECT_EQ(cfg.listen[0].addr.port, 3478);
  EXPECT_EQ(cfg.listen[0].addr.ip, (std::array<std::uint8_t, 16>{}));
  EXPECT_EQ(cfg.listen[1].text, "[::]:3478");
  EXPECT_EQ(cfg.listen[1].addr.fam, family::ipv6);
  EXPECT_EQ(cfg.listen[1].addr.port, 3478);
  EXPECT_FALSE(cfg.rfc5780.enabled);
  EXPECT_EQ(cfg.rfc5780.primary_port, 3478);
  EXPECT_EQ(cfg.rfc5780.alternate_port, 3479);
  EXPECT_TRUE(cfg.rfc5780.primary_ip.empty());
  EXPECT_TRUE(cfg.software.empty());
  EXPECT_EQ(cfg.level, log_level::info);
  EXPECT_EQ(cfg.workers, 0U);
  EXPECT_EQ(cfg.batch, 32U);
  EXPECT_EQ(cfg.coalesce_us, 0U);  // latency first: no coalescing unless asked for
  EXPECT_EQ(cfg.drain_grace_ms, 10000U);
  EXPECT_FALSE(cfg.auth.required);
  EXPECT_EQ(cfg.rate_limit.per_ip_rate, 0.0);
  EXPECT_EQ(cfg.rate_limit.per_ip_burst, 0.0);
  EXPECT_EQ(cfg.rate_limit.table_size, 65536U);
  EXPECT_EQ(cfg.rate_limit.global_rate, 0.0);
  EXPECT_TRUE(cfg.metrics_listen.empty());
  EXPECT_TRUE(cfg.allow.empty());
  EXPECT_TRUE(cfg.user.empty());
}

TEST(ConfigDefaults, AreValid) { EXPECT_EQ(validate_error(default_config()), ""); }

// ---- apply_json: every key ----

TEST(ConfigJson, EmptyObjectChangesNothing) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(apply_json("{}", cfg, error)) << error;
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
  ASSERT_TRUE(apply_json(doc, cfg, error)) << error;
  ASSERT_EQ(cfg.listen.size(), 2U);
  EXPECT_EQ(cfg.listen[0].text, "127.0.0.1:3478");
  EXPECT_EQ(cfg.listen[0].addr.fam, family::ipv4);
  EXPECT_EQ(cfg.listen[0].addr.ip[0], 127);
  EXPECT_EQ(cfg.listen[0].addr.ip[3], 1);
  EXPECT_EQ(cfg.listen[1].text, "[::1]:3479");
  EXPECT_EQ(cfg.listen[1].addr.fam, family::ipv6);
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
  EXPECT_EQ(cfg.allow, (std::vector<std::string>{"198.51.100.0/24", "2001:db8::/32"}));
  EXPECT_EQ(cfg.user, "pinhole");
  EXPECT_EQ(validate_error(cfg), "");
}

TEST(ConfigJson, NestedObjectsMergeKeyByKey) {
  config cfg = default_config();
  cfg.rfc5780.primary_ip = "192.0.2.1";
  std::string error;
  ASSERT_TRUE(apply_json(R"({"rfc5780": {"alternate_port": 5000}})", cfg, error)) << error;
  EXPECT_EQ(cfg.rfc5780.primary_ip, "192.0.2.1");
  EXPECT_EQ(cfg.rfc5780.primary_port, 3478);
  EXPECT_EQ(cfg.rfc5780.alternate_port, 5000);
}

TEST(ConfigJson, ListsAreReplacedNotAppended) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(apply_json(R"({"listen": ["[::1]:3478"], "allow": ["10.0.0.0/8"]})", cfg, error)) << error;
  ASSERT_EQ(cfg.listen.size(), 1U);
  EXPECT_EQ(cfg.listen[0].text, "[::1]:3478");
  ASSERT_TRUE(apply_json(R"({"allow": ["192.0.2.7"]})", cfg, error)) << error;
  EXPECT_EQ(cfg.allow, (std::vector<std::string>{"192.0.2.7"}));
}

TEST(ConfigJson, IPv6ListenLoopback) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(apply_json(R"({"listen": ["[::1]:3478"]})", cfg, error)) << error;
  ASSERT_EQ(cfg.listen.size(), 1U);
  EXPECT_EQ(cfg.listen[0].addr.fam, family::ipv6);
  EXPECT_EQ(cfg.listen[0].addr.port, 3478);
  std::array<std::uint8_t, 16> loopback{};
  loopback[15] = 1;
  EXPECT_EQ(cfg.listen[0].addr.ip, loopback);
}

TEST(ConfigJson, LogLevelNames) {
  for (const auto& [name, level] : std::vector<std::pair<std::string, log_level>>{
           {"debug", log_level::debug}, {"info", log_level::info}, {"warning", log_level::warning},
           {"warn", log_level::warning}, {"error", log_level::error}}) {
    config cfg = default_config();
    std::string error;
    ASSERT_TRUE(apply_json(R"({"log_level": ")" + name + "\"}", cfg, error)) << error;
    EXPECT_EQ(cfg.level, level) << name;
  }
}

TEST(ConfigJson, CommentsAreAllowed) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(apply_json("{\n  // workers\n  \"workers\": 2 /* two */\n}", cfg, error)) << error;
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
        bad_case{R"({"rfc5780": {"enabled": "yes"}})", R"(config: /rfc5780/enabled: expected true or false, got "yes")"},
        bad_case{R"({"rfc5780": {"enabled": 1}})", R"(config: /rfc5780/enabled: expected true or false, got 1)"},
        bad_case{R"({"rfc5780": {"primary_port": 0}})", R"(config: /rfc5780/primary_port: expected integer 1-65535, got 0)"},
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
        bad_case{R"({"drain_grace_ms": 3600001})", R"(config: /drain_grace_ms: expected integer 0-3600000, got 3600001)"},
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
        bad_case{R"({"allow": ["10.0.0.1/8"]})",
                 R"(config: /allow/0: expected IP prefix like "198.51.100.0/24" with zero host bits, got "10.0.0.1/8")"},
        bad_case{R"({"allow": ["10.0.0.0/33"]})",
                 R"(config: /allow/0: expected IP prefix like "198.51.100.0/24" with zero host bits, got "10.0.0.0/33")"},
        bad_case{R"({"user": 0})", R"(config: /user: expected string, got 0)"}));

TEST(ConfigJsonErrors, LongValuesAreShortenedInMessages) {
  const std::string e = apply_error(R"({"software": ")" + std::string(200, 'a') + R"(", "user": [")" +
                                    std::string(200, 'b') + "\"]}");
  EXPECT_EQ(e, "config: /user: expected string, got [\"" + std::string(35, 'b') + "...");
}

TEST(ConfigJsonErrors, DuplicateKeys) {
  EXPECT_EQ(apply_error(R"({"batch": 1, "batch": 2})"), R"(config: duplicate key "batch" at /)");
  EXPECT_EQ(apply_error(R"({"rfc5780": {"primary_port": 1, "primary_port": 2}})"),
            R"(config: duplicate key "primary_port" at /rfc5780)");
  EXPECT_EQ(apply_error(R"({"listen": [], "x": [{"a": 1}, {"b": 1, "b": 2}]})"), R"(config: duplicate key "b" at /x/1)");
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
  ASSERT_TRUE(apply_json("// " + many + "\n/* " + many + " */ {\"software\": \"" + many + "\\\"" + many + "\"}", cfg,
                         error))
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
  EXPECT_EQ(apply_error(R"({"rate_limit": {"global_rate": 1e400}})"), "config: invalid JSON: number 1e400 is out of range");
  EXPECT_EQ(apply_error(R"({"batch": -1e999})"), "config: invalid JSON: number -1e999 is out of range");
  const std::string e = apply_error(R"({"batch": 1)" + std::string(400, '0') + "e9999}");
  EXPECT_EQ(e.rfind("config: invalid JSON: number 1000", 0), 0U) << e;
  EXPECT_NE(e.find("... is out of range"), std::string::npos) << e;
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
}

TEST(ConfigJsonErrors, FailureLeavesConfigUntouched) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(apply_json(R"({"workers": 3, "batch": 0})", cfg, error));
  EXPECT_EQ(cfg, default_config());
  EXPECT_FALSE(apply_json(R"({"listen": ["127.0.0.1:1"], "zzz": 1})", cfg, error));
  EXPECT_EQ(cfg, default_config());
}

// ---- address helpers ----

TEST(ConfigParse, ListenForms) {
  listen_spec s;
  ASSERT_TRUE(parse_listen("192.0.2.1:80", s));
  EXPECT_EQ(s.addr.fam, family::ipv4);
  EXPECT_EQ(s.addr.port, 80);
  EXPECT_EQ(s.addr.ip[0], 192);
  EXPECT_EQ(s.addr.ip[3], 1);
  EXPECT_EQ(s.addr.ip[4], 0);
  ASSERT_TRUE(parse_listen("[2001:db8::1]:3478", s));
  EXPECT_EQ(s.addr.fam, family::ipv6);
  EXPECT_EQ(s.addr.ip[0], 0x20);
  EXPECT_EQ(s.addr.ip[1], 0x01);
  EXPECT_EQ(s.addr.ip[15], 1);
  EXPECT_EQ(s.text, "[2001:db8::1]:3478");
  ASSERT_TRUE(parse_listen("[::ffff:192.0.2.1]:1", s));
  EXPECT_EQ(s.addr.fam, family::ipv6);
  for (const char* bad : {"", ":", "1.2.3.4", "1.2.3.4:", "1.2.3.4:x", "1.2.3.4:+80", "1.2.3.4:-1",
                          "1.2.3.4:123456", "1.2.3.4:99999", "256.1.1.1:80", "1.2.3:80", "01.2.3.4:80",
                          " 1.2.3.4:80", "1.2.3.4 :80", "host:80", "::1:3478", "[::1]", "[::1]3478",
                          "[::1]:", "[1.2.3.4]:80", "[fe80::1%eth0]:80", "[::1:80", "::1]:80", "[]:80"}) {
    EXPECT_FALSE(parse_listen(bad, s)) << bad;
  }
}

TEST(ConfigParse, Prefixes) {
  ip_prefix p;
  ASSERT_TRUE(parse_prefix("198.51.100.0/24", p));
  EXPECT_EQ(p.family, family::ipv4);
  EXPECT_EQ(p.length, 24U);
  ASSERT_TRUE(parse_prefix("2001:db8::/32", p));
  EXPECT_EQ(p.family, family::ipv6);
  EXPECT_EQ(p.length, 32U);
  ASSERT_TRUE(parse_prefix("192.0.2.7", p));
  EXPECT_EQ(p.length, 32U);
  ASSERT_TRUE(parse_prefix("::1", p));
  EXPECT_EQ(p.length, 128U);
  ASSERT_TRUE(parse_prefix("0.0.0.0/0", p));
  EXPECT_EQ(p.length, 0U);
  ASSERT_TRUE(parse_prefix("::/0", p));
  for (const char* bad : {"", "/24", "10.0.0.0/", "10.0.0.0/33", "10.0.0.1/8", "2001:db8::1/32",
                          "::/129", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8", "example.com/8"}) {
    EXPECT_FALSE(parse_prefix(bad, p)) << bad;
  }
}

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
  EXPECT_EQ(validate_error(c), "config: rfc5780: advertised_alternate_ip must be the same address family as primary_ip");

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
  EXPECT_EQ(validate_error(with_auth("al\xC2\x85" "ce", "pw")),  // U+0085, a C1 control
            "config: auth: username must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("\xC3\xA9l\xC3\xA8ve", "pw")), "");  // "élève": fine
  EXPECT_EQ(validate_error(with_auth(std::string(508, 'u'), "pw")), "");
  EXPECT_EQ(validate_error(with_auth(std::string(509, 'u'), "pw")), "config: auth: username must be fewer than 509 bytes");
  // The password is OpaqueString too (RFC 8489 §9.1.1: key = OpaqueString(password)).
  EXPECT_EQ(validate_error(with_auth("u", std::string("p\0w", 3))),
            "config: auth: password must not contain control characters (NUL, newline, ...)");
  EXPECT_EQ(validate_error(with_auth("u", "p\xff")), "config: auth: password is not valid UTF-8");
  EXPECT_EQ(validate_error(with_auth("u", std::string(1024, 'p'))), "");
  EXPECT_EQ(validate_error(with_auth("u", std::string(1025, 'p'))), "config: auth: password must be at most 1024 bytes");
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
  ASSERT_TRUE(apply_json(R"({"auth": {"username": "alice\u0000admin", "password": "pw"}})", cfg, error)) << error;
  EXPECT_EQ(cfg.auth.username.size(), 11U);
  EXPECT_EQ(validate_error(cfg), "config: auth: username must not contain control characters (NUL, newline, ...)");
}

// ---- to_json ----

TEST(ConfigToJson, DefaultsRoundTrip) {
  const config d = default_config();
  const std::string text = to_json(d);
  EXPECT_EQ(text.rfind("{\n  \"listen\": [\n    \"0.0.0.0:3478\",\n    \"[::]:3478\"\n  ],", 0), 0U) << text;
  config back = default_config();
  back.workers = 99;
  std::string error;
  ASSERT_TRUE(apply_json(text, back, error)) << error;
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
  ASSERT_TRUE(apply_json(to_json(c), back, error)) << error;
  EXPECT_EQ(back, c);
}

TEST(ConfigToJson, InvalidUtf8DoesNotThrow) {
  config c = default_config();
  c.software = "\xff\xfe";
  std::string text;
  EXPECT_NO_THROW(text = to_json(c));
  EXPECT_NE(text.find("\"software\""), std::string::npos);
}

// ---- load_file ----

TEST(ConfigFile, LoadsAFile) {
  const temp_file f(R"({"workers": 6, "listen": ["[::1]:3478"]})");
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(load_file(f.path(), cfg, error)) << error;
  EXPECT_EQ(cfg.workers, 6U);
  ASSERT_EQ(cfg.listen.size(), 1U);
}

TEST(ConfigFile, MissingFile) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file("/nonexistent/pinhole.json", cfg, error));
  EXPECT_EQ(error, "/nonexistent/pinhole.json: cannot read: No such file or directory");
}

TEST(ConfigFile, Directory) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file("/tmp", cfg, error));
  EXPECT_EQ(error, "/tmp: cannot read: Is a directory");
}

TEST(ConfigFile, ErrorsNameTheFile) {
  const temp_file f(R"({"lisen": []})");
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file(f.path(), cfg, error));
  EXPECT_EQ(error, f.path() + R"(: unknown key "lisen" at /)");
}

TEST(ConfigFile, TooLarge) {
  const temp_file f("{\"software\": \"" + std::string(1U << 20, 'x') + "\"}");
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file(f.path(), cfg, error));
  EXPECT_EQ(error, f.path() + ": cannot read: file larger than 1 MiB");
}

TEST(ConfigFile, FifoIsRefusedWithoutBlocking) {
  // Opening a FIFO for reading waits for a writer: on SIGHUP that blocked the
  // control thread for good. No writer ever comes here.
  char dir[] = "/tmp/pinhole_fifo_XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/pinhole.json";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // In a child, so a loader that blocks fails the test (killed after 10 s)
  // instead of hanging it.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(10);
    config cfg = default_config();
    std::string error;
    const bool loaded = load_file(path, cfg, error);
    ::_exit(!loaded && error == path + ": cannot read: not a regular file" && cfg == default_config() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "load_file blocked on the FIFO (killed by signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  ::unlink(path.c_str());
  ::rmdir(dir);
}

TEST(ConfigFile, DevicesAreRefused) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file("/dev/null", cfg, error));
  EXPECT_EQ(error, "/dev/null: cannot read: not a regular file");
}

TEST(ConfigFile, DeepFileIsOneLineNamingTheFile) {
  const temp_file f(std::string(100000, '[') + std::string(100000, ']'));
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(load_file(f.path(), cfg, error));
  EXPECT_EQ(error, f.path() + ": invalid JSON: nested deeper than 32 levels (byte 33)");
}

}  // namespace
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

TEST(ConfigLoad, SharePort) {
  config c = default_config();
  EXPECT_FALSE(c.share_port);
  std::string error;
  ASSERT_TRUE(apply_json(R"({"share_port": true})", c, error)) << error;
  EXPECT_TRUE(c.share_port);
  EXPECT_FALSE(apply_json(R"({"share_port": 1})", c, error));
  EXPECT_EQ(error, "config: /share_port: expected true or false, got 1");
}

}  // namespace pinhole::daemon
