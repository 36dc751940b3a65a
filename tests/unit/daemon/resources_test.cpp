// What a configuration costs (daemon/resources.hpp): memory and descriptors.
#include "resources.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "outcome_util.hpp"
#include "packet_batch.hpp"
#include "rate_limiter.hpp"
#include "worker.hpp"

namespace pinhole::daemon {
namespace {

TEST(Resources, BuffersScaleWithWorkersListenersAndBatch) {
  config cfg = default_config();  // two listeners
  cfg.workers = 3;
  cfg.batch = 16;
  const auto n = estimate_resources(cfg);
  EXPECT_EQ(n.workers, 3U);
  EXPECT_EQ(n.listeners, 2U);
  EXPECT_EQ(n.batch, 16U);
  EXPECT_EQ(n.buffer_bytes, 3U * 2U * packet_batch::memory_bytes(16, max_datagram));
  EXPECT_EQ(n.limiter_bytes, 0U);  // rate limiting off
  // Receive and send slots of max_datagram bytes each, plus the headers.
  EXPECT_GT(packet_batch::memory_bytes(16, max_datagram), 2U * 16U * max_datagram);
  EXPECT_LT(packet_batch::memory_bytes(16, max_datagram), 3U * 16U * max_datagram);
  // One socket per listener per worker, plus each worker's event loop.
  EXPECT_EQ(n.fds, base_fds + 3U * (2U + fds_per_worker));
}

TEST(Resources, WorkersZeroMeansOnePerCpu) {
  config cfg = default_config();
  EXPECT_EQ(estimate_resources(cfg, 7).workers, 7U);
  cfg.workers = 2;
  EXPECT_EQ(estimate_resources(cfg, 7).workers, 2U);
}

TEST(Resources, Rfc5780QuadAndMetricsAreCounted) {
  config cfg = default_config();
  cfg.workers = 1;
  cfg.listen.clear();
  listen_spec s;
  ASSERT_TRUE(parse_listen("192.0.2.1:3478", s));  // PP itself: not a fifth listener
  cfg.listen.push_back(s);
  ASSERT_TRUE(parse_listen("[2001:db8::1]:3478", s));
  cfg.listen.push_back(s);
  cfg.rfc5780.enabled = true;
  cfg.rfc5780.primary_ip = "192.0.2.1";
  cfg.rfc5780.alternate_ip = "192.0.2.2";
  EXPECT_EQ(estimate_resources(cfg).listeners, 5U);
  const auto without = estimate_resources(cfg).fds;
  cfg.metrics_listen = "127.0.0.1:9641";
  EXPECT_GT(estimate_resources(cfg).fds, without);
}

TEST(Resources, RateLimiterTableIsCounted) {
  config cfg = default_config();
  cfg.rate_limit.per_ip_rate = 10;
  cfg.rate_limit.table_size = 16777216;
  EXPECT_EQ(estimate_resources(cfg).limiter_bytes, 128U << 20);  // 2^21 sets of one 64-byte line
  EXPECT_EQ(rate_limiter::table_bytes(65536), rate_limiter(10, 0, 65536, 1).memory_bytes());
  EXPECT_EQ(rate_limiter::table_bytes(1000), rate_limiter(10, 0, 1000, 1).memory_bytes());
}

TEST(Resources, MemoryCap) {
  config cfg = default_config();
  cfg.workers = 64;
  cfg.batch = 1024;
  std::string error;
  EXPECT_TRUE(succeeded(check_memory(estimate_resources(cfg)), error)) << error;  // ~1.1 GiB
  cfg.workers = 1024;
  const auto n = estimate_resources(cfg);
  EXPECT_GT(n.memory_bytes(), 16ULL << 30);
  EXPECT_FALSE(succeeded(check_memory(n), error));
  EXPECT_EQ(error.rfind("resources: 1024 workers x 2 listeners x batch 1024: 17.", 0), 0U) << error;
  EXPECT_NE(error.find(" GiB preallocated, "), std::string::npos) << error;
  EXPECT_NE(error.find("the limit is 4.0 GiB"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(Resources, FormatBytes) {
  EXPECT_EQ(format_bytes(0), "0 bytes");
  EXPECT_EQ(format_bytes(1023), "1023 bytes");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(4ULL << 30), "4.0 GiB");
}

// Runs `body` in a child (rlimits are per process) and returns its exit code.
template <typename F>
int in_child(F body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(Resources, FdLimitTooLowUnderTheHardLimitIsRefused) {
  config cfg = default_config();
  cfg.workers = 64;
  const int rc = in_child([&] {
    const rlimit rl{200, 200};
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 10;
    std::uint64_t limit = 0;
    std::string error;
    if (succeeded(ensure_fd_limit(estimate_resources(cfg), limit), error)) return 11;
    if (limit != 200) return 12;
    if (error.find("open-file limit (RLIMIT_NOFILE) is 200 (hard 200)") == std::string::npos) return 13;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Resources, SoftFdLimitIsRaisedWhenTheHardLimitAllows) {
  config cfg = default_config();
  cfg.workers = 64;
  const auto need = estimate_resources(cfg).fds;
  rlimit current{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &current), 0);
  const rlim_t hard = current.rlim_max == RLIM_INFINITY ? need * 4 : std::min<rlim_t>(current.rlim_max, need * 4);
  ASSERT_GE(hard, 2 * need) << "this host's hard RLIMIT_NOFILE is too low for the test";
  const int rc = in_child([&] {
    const rlimit rl{200, hard};
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 10;
    std::uint64_t limit = 0;
    std::string error;
    if (!succeeded(ensure_fd_limit(estimate_resources(cfg), limit), error)) return 11;
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    if (now.rlim_cur != 2 * need || limit != 2 * need) return 12;  // need plus headroom for reloads
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace pinhole::daemon
