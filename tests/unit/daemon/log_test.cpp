// Unit tests for the pinholed logfmt logger (daemon/log.hpp).
#include "log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace pinhole::daemon {
namespace {

// Redirects fd 2 into an O_APPEND temp file until finish() (or destruction).
class stderr_capture {
 public:
  stderr_capture() {
    char tmpl[] = "/tmp/pinhole_log_test_XXXXXX";
    fd_ = ::mkostemp(tmpl, O_APPEND | O_CLOEXEC);
    EXPECT_GE(fd_, 0);
    ::unlink(tmpl);
    saved_ = ::dup(STDERR_FILENO);
    EXPECT_GE(saved_, 0);
    EXPECT_EQ(::dup2(fd_, STDERR_FILENO), STDERR_FILENO);
  }
  ~stderr_capture() {
    restore();
    if (fd_ >= 0) ::close(fd_);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;

  std::string finish() {
    restore();
    std::string out;
    if (fd_ < 0) return out;
    char buf[4096];
    ::lseek(fd_, 0, SEEK_SET);
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }
  int fd_ = -1;
  int saved_ = -1;
};

// Restores the global logger state after each test.
class Log : public ::testing::Test {
 protected:
  void TearDown() override { log_init(log_level::info, false); }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string fmt(std::initializer_list<log_field> fields) { return log_format(log_level::info, "e", fields, true); }

// ---- levels ----

TEST_F(Log, ParseAndPrintLevels) {
  log_level l = log_level::error;
  ASSERT_TRUE(parse_log_level("debug", l));
  EXPECT_EQ(l, log_level::debug);
  ASSERT_TRUE(parse_log_level("info", l));
  EXPECT_EQ(l, log_level::info);
  ASSERT_TRUE(parse_log_level("warning", l));
  EXPECT_EQ(l, log_level::warning);
  ASSERT_TRUE(parse_log_level("warn", l));
  EXPECT_EQ(l, log_level::warning);
  ASSERT_TRUE(parse_log_level("error", l));
  EXPECT_EQ(l, log_level::error);
  for (const char* bad : {"", "INFO", "verbose", "err", "info "}) {
    l = log_level::debug;
    EXPECT_FALSE(parse_log_level(bad, l)) << bad;
    EXPECT_EQ(l, log_level::debug) << "unchanged on failure";
  }
  for (const auto lv : {log_level::debug, log_level::info, log_level::warning, log_level::error}) {
    log_level back = log_level::debug;
    ASSERT_TRUE(parse_log_level(to_string(lv), back));
    EXPECT_EQ(back, lv);
  }
  EXPECT_EQ(to_string(log_level::warning), "warning");
}

// ---- format ----

TEST_F(Log, JournaldPrefixes) {
  EXPECT_EQ(log_format(log_level::info, "listening", {{"addr", "0.0.0.0:3478"}}, true),
            "<6>level=info event=listening addr=0.0.0.0:3478");
  EXPECT_EQ(log_format(log_level::debug, "x", {}, true), "<7>level=debug event=x");
  EXPECT_EQ(log_format(log_level::warning, "x", {}, true), "<4>level=warning event=x");
  EXPECT_EQ(log_format(log_level::error, "x", {}, true), "<3>level=error event=x");
}

TEST_F(Log, TimestampWithoutJournald) {
  const std::string line = log_format(log_level::info, "listening", {{"addr", "[::]:3478"}, {"n", "2"}}, false);
  EXPECT_TRUE(std::regex_match(
      line, std::regex(R"(ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info event=listening addr=\[::\]:3478 n=2)")))
      << line;
}

TEST_F(Log, Escaping) {
  EXPECT_EQ(fmt({{"k", "plain"}}), "<6>level=info event=e k=plain");
  EXPECT_EQ(fmt({{"k", "hello world"}}), R"(<6>level=info event=e k="hello world")");
  EXPECT_EQ(fmt({{"k", R"(say "hi")"}}), R"(<6>level=info event=e k="say \"hi\"")");
  EXPECT_EQ(fmt({{"k", "a=b"}}), R"(<6>level=info event=e k="a=b")");
  EXPECT_EQ(fmt({{"k", ""}}), R"(<6>level=info event=e k="")");
  EXPECT_EQ(fmt({{"k", R"(C:\dir)"}}), R"(<6>level=info event=e k=C:\dir)");
  EXPECT_EQ(fmt({{"k", "a \\ b"}}), R"(<6>level=info event=e k="a \\ b")");
  EXPECT_EQ(fmt({{"k", "line1\nline2\r\tx"}}), R"(<6>level=info event=e k="line1\nline2\r\tx")");
  EXPECT_EQ(fmt({{"k", std::string_view("\x01\x7f", 2)}}), R"(<6>level=info event=e k="\u0001\u007f")");
  EXPECT_EQ(fmt({{"k", std::string_view("a\0b", 3)}}), R"(<6>level=info event=e k="a\u0000b")");
  EXPECT_EQ(fmt({{"k", "caf\xc3\xa9"}}), "<6>level=info event=e k=caf\xc3\xa9");
  EXPECT_EQ(log_format(log_level::info, "two words", {}, true), R"(<6>level=info event="two words")");
}

TEST_F(Log, KeysAreSanitised) {
  EXPECT_EQ(fmt({{"bad key=\"x\"\n", "v"}}), "<6>level=info event=e bad_key__x__=v");
  EXPECT_EQ(fmt({{"", "v"}}), "<6>level=info event=e _=v");
}

TEST_F(Log, LongValuesAreCapped) {
  const std::string big(5000, 'a');
  EXPECT_EQ(fmt({{"k", big}}), "<6>level=info event=e k=" + std::string(1024, 'a') + "...");
  const std::string spaced(5000, ' ');
  EXPECT_EQ(fmt({{"k", spaced}}), "<6>level=info event=e k=\"" + std::string(1024, ' ') + "...\"");
}

TEST_F(Log, NeverMoreThanOneLine) {
  const std::string line = fmt({{"k\n", "x\ny"}, {"evil", "\r\n<3>level=error event=forged"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
}

// ---- output and filtering ----

TEST_F(Log, WritesOneLinePerEventToStderr) {
  log_init(log_level::info, true);
  stderr_capture cap;
  log(log_level::info, "listening", {{"addr", "0.0.0.0:3478"}});
  log(log_level::error, "bind_failed", {{"addr", "[::]:3478"}, {"error", "Address already in use"}});
  const std::string out = cap.finish();
  EXPECT_EQ(out,
            "<6>level=info event=listening addr=0.0.0.0:3478\n"
            "<3>level=error event=bind_failed addr=[::]:3478 error=\"Address already in use\"\n");
}

TEST_F(Log, LevelFiltering) {
  log_init(log_level::warning, true);
  EXPECT_FALSE(log_enabled(log_level::debug));
  EXPECT_FALSE(log_enabled(log_level::info));
  EXPECT_TRUE(log_enabled(log_level::warning));
  EXPECT_TRUE(log_enabled(log_level::error));
  stderr_capture cap;
  log(log_level::debug, "d");
  log(log_level::info, "i");
  log(log_level::warning, "w");
  log(log_level::error, "e");
  log_set_level(log_level::debug);
  EXPECT_EQ(log_get_level(), log_level::debug);
  log(log_level::debug, "d2");
  log_set_level(log_level::error);
  log(log_level::warning, "w2");
  log(log_level::error, "e2");
  EXPECT_EQ(cap.finish(),
            "<4>level=warning event=w\n"
            "<3>level=error event=e\n"
            "<7>level=debug event=d2\n"
            "<3>level=error event=e2\n");
}

TEST_F(Log, TimestampedOutput) {
  log_init(log_level::debug, false);
  stderr_capture cap;
  log(log_level::debug, "tick", {{"n", "1"}});
  const auto lines = lines_of(cap.finish());
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(ts=\S+Z level=debug event=tick n=1)"))) << lines[0];
}

TEST_F(Log, ConcurrentLinesDoNotInterleave) {
  log_init(log_level::info, true);
  constexpr int k_threads = 8;
  constexpr int k_lines = 250;
  stderr_capture cap;
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([t] {
        const std::string id = std::to_string(t);
        const std::string pad(100, static_cast<char>('a' + t));
        for (int i = 0; i < k_lines; ++i) {
          log(log_level::info, "work", {{"thread", id}, {"i", std::to_string(i)}, {"pad", pad}});
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  const auto lines = lines_of(cap.finish());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(k_threads * k_lines));
  const std::regex shape(R"(<6>level=info event=work thread=(\d) i=\d+ pad=([a-h])\2{99})");
  std::vector<int> per_thread(k_threads, 0);
  for (const auto& l : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(l, m, shape)) << l;
    ++per_thread[static_cast<std::size_t>(std::stoi(m[1].str()))];
  }
  for (int n : per_thread) EXPECT_EQ(n, k_lines);
}

// ---- journald detection ----

class JournalEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("JOURNAL_STREAM")) saved_ = v;
  }
  void TearDown() override {
    if (saved_)
      ::setenv("JOURNAL_STREAM", saved_->c_str(), 1);
    else
      ::unsetenv("JOURNAL_STREAM");
  }
  std::optional<std::string> saved_;
};

TEST_F(JournalEnv, DetectsMatchingStream) {
  stderr_capture cap;  // fd 2 is now a known file
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string match = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);

  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", match.c_str(), 1);
  EXPECT_TRUE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(stderr_is_journal());
  for (const char* junk : {"", ":", "1:", ":1", "x:y", "1:2:3", "12"}) {
    ::setenv("JOURNAL_STREAM", junk, 1);
    EXPECT_FALSE(stderr_is_journal()) << junk;
  }
  cap.finish();
}

}  // namespace
}  // namespace pinhole::daemon
