// Unit tests for the embedded defaults and the file reader (daemon/config.cpp).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "config.hpp"
#include "config_test_util.hpp"
#include "temp_file.hpp"

namespace pinhole::daemon {
namespace {

using namespace test;  // NOLINT

using ::pinhole::test::temp_file;

// ---- defaults ----

TEST(ConfigDefaults, MatchTheDocumentedValues) {
  const config cfg = default_config();
  ASSERT_EQ(cfg.listen.size(), 2U);
  EXPECT_EQ(cfg.listen[0].text, "0.0.0.0:3478");
  EXPECT_EQ(cfg.listen[0].addr.fam, stun::family::ipv4);
  EXPECT_EQ(cfg.listen[0].addr.port, 3478);
  EXPECT_EQ(cfg.listen[0].addr.ip, (std::array<std::uint8_t, 16>{}));
  EXPECT_EQ(cfg.listen[1].text, "[::]:3478");
  EXPECT_EQ(cfg.listen[1].addr.fam, stun::family::ipv6);
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

// ---- load_file ----

TEST(ConfigFile, LoadsAFile) {
  const temp_file f(R"({"workers": 6, "listen": ["[::1]:3478"]})");
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(load_file(f.path(), cfg), error)) << error;
  EXPECT_EQ(cfg.workers, 6U);
  ASSERT_EQ(cfg.listen.size(), 1U);
}

TEST(ConfigFile, MissingFile) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(load_file("/nonexistent/pinhole.json", cfg), error));
  EXPECT_EQ(error, "/nonexistent/pinhole.json: cannot read: No such file or directory");
}

TEST(ConfigFile, Directory) {
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(load_file("/tmp", cfg), error));
  EXPECT_EQ(error, "/tmp: cannot read: Is a directory");
}

TEST(ConfigFile, ErrorsNameTheFile) {
  const temp_file f(R"({"lisen": []})");
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(load_file(f.path(), cfg), error));
  EXPECT_EQ(error, f.path() + R"(: unknown key "lisen" at /)");
}

TEST(ConfigFile, TooLarge) {
  const temp_file f("{\"software\": \"" + std::string(1U << 20, 'x') + "\"}");
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(load_file(f.path(), cfg), error));
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
    const bool loaded = succeeded(load_file(path, cfg), error);
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
  EXPECT_FALSE(succeeded(load_file("/dev/null", cfg), error));
  EXPECT_EQ(error, "/dev/null: cannot read: not a regular file");
}

TEST(ConfigFile, DeepFileIsOneLineNamingTheFile) {
  const temp_file f(std::string(100000, '[') + std::string(100000, ']'));
  config cfg = default_config();
  std::string error;
  EXPECT_FALSE(succeeded(load_file(f.path(), cfg), error));
  EXPECT_EQ(error, f.path() + ": invalid JSON: nested deeper than 32 levels (byte 33)");
}

}  // namespace
}  // namespace pinhole::daemon
