// Unit tests for the option table (daemon/option_table.cpp): every setting
// is reachable by its JSON key, its flag, --help, --print-config and the man
// page, with the table's range and default.
#include "option_table.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "config_test_util.hpp"

namespace pinhole::daemon {
namespace {

using namespace test;  // NOLINT

// Flags of parse_cli that are not settings.
const std::set<std::string> k_meta_flags = {"config", "check-config", "print-config", "help", "version"};

cli_result run(std::vector<std::string> args) {
  args.insert(args.begin(), "pinholed");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return parse_cli(static_cast<int>(args.size()), argv.data());
}

// {"key": v} or {"section": {"key": v}}, as a document.
std::string doc(const option& o, const std::string& value) {
  const std::string inner = "\"" + std::string(o.key) + "\": " + value;
  return o.section.empty() ? "{" + inner + "}" : "{\"" + std::string(o.section) + "\": {" + inner + "}}";
}

TEST(OptionTable, KeysAndFlagsAreUniqueAndFound) {
  std::set<std::string> paths;
  std::set<std::string> flags;
  for (const auto& o : options()) {
    EXPECT_TRUE(paths.insert(o.path()).second) << o.path();
    EXPECT_EQ(find_option(o.section, o.key), &o);
    if (o.flag.empty()) continue;
    EXPECT_TRUE(flags.insert(std::string(o.flag)).second) << o.flag;
    EXPECT_EQ(k_meta_flags.count(std::string(o.flag)), 0U) << o.flag;
    EXPECT_FALSE(o.help.empty()) << o.flag;
  }
  EXPECT_EQ(find_option("", "nope"), nullptr);
  EXPECT_EQ(find_option("auth", "workers"), nullptr);
}

TEST(OptionTable, PrintConfigHasExactlyTheTableKeysInItsOrder) {
  const auto j = nlohmann::ordered_json::parse(to_json(default_config()));
  std::vector<std::string> printed;
  for (const auto& [key, v] : j.items()) {
    if (v.is_object()) {
      for (const auto& [sub, w] : v.items()) printed.push_back(key + "/" + sub);
    } else {
      printed.push_back(key);
    }
  }
  std::vector<std::string> table;
  for (const auto& o : options()) table.push_back(o.path());
  EXPECT_EQ(printed, table);
}

TEST(OptionTable, HelpListsEveryFlagWithItsRangeAndDefault) {
  const auto r = run({"--help"});
  for (const auto& o : options()) {
    if (o.flag.empty()) continue;
    EXPECT_NE(r.message.find("--" + std::string(o.flag)), std::string::npos) << o.flag;
  }
  EXPECT_NE(r.message.find("(1-1024, default 32)"), std::string::npos) << r.message;
}

// Each number setting: its bounds are accepted, one past them refused, from
// the file and from the flag, with the range in the message.
TEST(OptionTable, RangesAreEnforcedByTheLoaderAndTheFlags) {
  for (const auto& o : options()) {
    if (o.hi <= 0) continue;
    const std::string hi = std::to_string(static_cast<std::uint64_t>(o.hi));
    const std::string over = std::to_string(static_cast<std::uint64_t>(o.hi) + 1);
    EXPECT_EQ(apply_error(doc(o, hi)), "") << o.path();
    EXPECT_EQ(apply_error(doc(o, over)), "config: /" + o.path() + ": expected " + range_text(o) + ", got " + over);
    if (o.lo >= 1) {
      const std::string under = std::to_string(static_cast<std::uint64_t>(o.lo) - 1);
      EXPECT_EQ(apply_error(doc(o, under)), "config: /" + o.path() + ": expected " + range_text(o) + ", got " + under);
    }
    if (o.flag.empty()) continue;
    EXPECT_EQ(run({"--" + std::string(o.flag), over}).message,
              "pinholed: --" + std::string(o.flag) + ": expected " + range_text(o) + ", got \"" + over + "\"");
  }
}

TEST(OptionTable, ValidateChecksTheSameRanges) {
  config c = default_config();
  c.coalesce_us = 10001;
  EXPECT_EQ(validate_error(c), "config: coalesce_us: must be 0-10000 (0 = off)");
  c = default_config();
  c.drain_grace_ms = 3600001;
  EXPECT_EQ(validate_error(c), "config: drain_grace_ms: must be 0-3600000");
  c = default_config();
  c.rate_limit.per_ip_burst = 2e9;
  EXPECT_EQ(validate_error(c), "config: rate_limit: per_ip_burst must be a number 0-1000000000");
}

// What a reload (SIGHUP) cannot change: server::reload keeps workers and
// batch, service.cpp warns about metrics_listen, user and xdp (attached once,
// at start, like xdp_required's verdict).
TEST(OptionTable, RestartOnlySettings) {
  std::set<std::string> restart_only;
  for (const auto& o : options()) {
    if (!o.reloadable) restart_only.insert(o.path());
  }
  EXPECT_EQ(restart_only, (std::set<std::string>{"batch", "metrics_listen", "user", "workers", "xdp/interfaces",
                                                 "xdp/mode", "xdp_required"}));
}

// ---- the man page's OPTIONS section (packaging/man/pinholed.8) ----

struct man_entry {
  std::set<std::string> flags;  // from the .TP header line
  std::string text;             // header and body
};

std::vector<man_entry> man_options() {
  std::ifstream in(PINHOLE_MAN_PAGE);
  EXPECT_TRUE(in.good()) << PINHOLE_MAN_PAGE;
  std::vector<man_entry> entries;
  std::string line;
  bool in_options = false;
  bool header_next = false;
  const std::regex flag_re(R"(\\-\\-([a-z0-9]+(?:\\-[a-z0-9]+)*))");
  while (std::getline(in, line)) {
    if (line.starts_with(".SH")) {
      in_options = line == ".SH OPTIONS";
      continue;
    }
    if (!in_options) continue;
    if (line == ".TP") {
      entries.emplace_back();
      header_next = true;
      continue;
    }
    if (entries.empty()) continue;
    if (header_next) {
      for (std::sregex_iterator it(line.begin(), line.end(), flag_re), end; it != end; ++it) {
        entries.back().flags.insert(std::regex_replace((*it)[1].str(), std::regex(R"(\\-)"), "-"));
      }
      header_next = false;
    }
    entries.back().text += line + "\n";
  }
  return entries;
}

TEST(OptionTableManPage, DocumentsExactlyTheFlags) {
  std::set<std::string> documented;
  for (const auto& e : man_options()) documented.insert(e.flags.begin(), e.flags.end());
  std::set<std::string> known = k_meta_flags;
  for (const auto& o : options()) {
    if (!o.flag.empty()) known.insert(std::string(o.flag));
  }
  EXPECT_EQ(documented, known);
}

// A range ("1\-1024") or default ("default 32") the man page states for a
// flag must be the table's.
TEST(OptionTableManPage, RangesAndDefaultsMatchTheTable) {
  const std::regex range_re(R"((\d+)\\-(\d+))");
  const std::regex default_re(R"(default (\d+))");
  for (const auto& e : man_options()) {
    std::set<std::string> ranges;
    std::set<std::string> defaults;
    for (const auto& o : options()) {
      if (o.hi <= 0 || e.flags.count(std::string(o.flag)) == 0) continue;
      ranges.insert(range_bounds(o));
      defaults.insert(default_text(o));
    }
    if (ranges.empty()) continue;
    for (std::sregex_iterator it(e.text.begin(), e.text.end(), range_re), end; it != end; ++it) {
      EXPECT_EQ(ranges.count((*it)[1].str() + "-" + (*it)[2].str()), 1U) << (*it)[0] << " in\n" << e.text;
    }
    for (std::sregex_iterator it(e.text.begin(), e.text.end(), default_re), end; it != end; ++it) {
      EXPECT_EQ(defaults.count((*it)[1].str()), 1U) << (*it)[0] << " in\n" << e.text;
    }
  }
}

}  // namespace
}  // namespace pinhole::daemon
