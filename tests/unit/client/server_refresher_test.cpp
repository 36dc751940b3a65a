// server_refresher: background re-resolution of STUN server names, with a
// scripted resolver (no network). Waits are for conditions, bounded at 5 s.
#include "server_refresher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fake_resolver.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace std::chrono_literals;

namespace {

ip_endpoint ep(const char* t) { return *ip_endpoint::parse(t); }

// Collects the lists the refresher reports.
struct reports {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::vector<ip_endpoint>> lists;

  server_refresher::change_fn fn() {
    return [this](const std::vector<ip_endpoint>& l) {
      std::lock_guard lk(m);
      lists.push_back(l);
      cv.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lk(m);
    return cv.wait_for(lk, 5s, [&] { return lists.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lk(m);
    return lists.size();
  }
};

bool wait_rounds(const server_refresher& r, std::uint64_t n) {
  for (int i = 0; i < 500 && r.rounds() < n; ++i) std::this_thread::sleep_for(10ms);
  return r.rounds() >= n;
}

}  // namespace

TEST(ServerRefresher, ReportsANewAddressOnce) {
  auto dns = std::make_shared<fake_resolver>();
  dns->set_host("stun.test", {"192.0.2.1"});
  reports got;
  server_refresher r({"stun.test:3478"}, false, dns, 20ms, 1ms, {ep("192.0.2.1:3478")}, got.fn());
  ASSERT_TRUE(wait_rounds(r, 2));
  EXPECT_EQ(got.size(), 0U);  // unchanged: nothing reported
  dns->set_host("stun.test", {"192.0.2.2", "192.0.2.1"});
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_EQ(got.lists[0], (std::vector<ip_endpoint>{ep("192.0.2.2:3478"), ep("192.0.2.1:3478")}));
  const auto rounds = r.rounds();
  ASSERT_TRUE(wait_rounds(r, rounds + 3));
  EXPECT_EQ(got.size(), 1U);  // and not again while it stays so
  EXPECT_EQ(r.changes(), 1U);
}

TEST(ServerRefresher, AFailedLookupKeepsTheServers) {
  auto dns = std::make_shared<fake_resolver>();  // knows no names at all
  reports got;
  server_refresher r({"stun.test"}, true, dns, 20ms, 1ms, {ep("192.0.2.1:3478")}, got.fn());
  ASSERT_TRUE(wait_rounds(r, 3));
  EXPECT_EQ(got.size(), 0U);  // never an empty list
  EXPECT_GE(dns->host_query_count(), 3);
}

TEST(ServerRefresher, RefreshSoonRunsARoundLongBeforeTheInterval) {
  auto dns = std::make_shared<fake_resolver>();
  dns->set_host("stun.test", {"192.0.2.7"});
  reports got;
  server_refresher r({"stun.test:3478"}, false, dns, std::chrono::hours(1), 10ms, {ep("192.0.2.1:3478")}, got.fn());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(r.rounds(), 0U);  // an hour is far away
  r.refresh_soon();
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_EQ(got.lists[0], (std::vector<ip_endpoint>{ep("192.0.2.7:3478")}));
}

namespace {

// A resolver whose lookups hang until released, like one stuck on an
// unreachable DNS server.
class stuck_resolver final : public dns_resolver {
 public:
  std::error_code srv(const std::string&, std::vector<srv_record>&) override {
    return make_error_code(errc::resolve_failed);
  }
  std::error_code host(const std::string&, std::uint16_t port, std::vector<ip_endpoint>& out) override {
    std::unique_lock lk(m_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return released_; });
    out = {*ip_endpoint::parse_ip("192.0.2.9", port)};
    return {};
  }
  bool wait_entered() {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, 5s, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lk(m_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool entered_ = false, released_ = false;
};

}  // namespace

TEST(ServerRefresher, DestructionDoesNotWaitForAHangingLookup) {
  auto dns = std::make_shared<stuck_resolver>();
  std::atomic<int> calls{0};
  {
    server_refresher r({"stun.test:3478"}, false, dns, 1ms, 1ms, {ep("192.0.2.1:3478")},
                       [&](const std::vector<ip_endpoint>&) { ++calls; });
    ASSERT_TRUE(dns->wait_entered());
  }                // returns although the lookup still hangs
  dns->release();  // the lookup now ends with a new address...
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 0);  // ...which is never reported to a destroyed owner
}

TEST(ServerRefresher, OnlyNamesNeedRefreshing) {
  EXPECT_FALSE(server_refresher::has_names({"192.0.2.1", "[2001:db8::1]:3478", "198.51.100.2:3479"}));
  EXPECT_TRUE(server_refresher::has_names({"192.0.2.1", "stun.example.org"}));
  EXPECT_TRUE(server_refresher::has_names({"stun:stun.example.org:3478"}));
}

TEST(ServerRefresher, OfflineStartRetriesUntilTheNameResolves) {
  auto dns = std::make_shared<fake_resolver>();  // nothing resolves yet
  reports got;
  // A long interval, a short retry: only the retry can bring the answer.
  server_refresher r({"stun.test:3478"}, false, dns, std::chrono::hours(1), 1ms, {}, got.fn(), true, 10ms);
  ASSERT_TRUE(r.wait_first_round(server_refresher::clock::now() + 5s));
  EXPECT_EQ(got.size(), 0U);
  ASSERT_TRUE(wait_rounds(r, 3));  // retried
  dns->set_host("stun.test", {"192.0.2.1"});
  ASSERT_TRUE(got.wait_for(1));
  EXPECT_EQ(got.lists[0], (std::vector<ip_endpoint>{ep("192.0.2.1:3478")}));
  // Resolved: back to the (hour-long) interval, no more rounds.
  const auto rounds = r.rounds();
  std::this_thread::sleep_for(100ms);
  EXPECT_LE(r.rounds(), rounds + 1);
}

TEST(ServerRefresher, ZeroIntervalStopsOnceResolved) {
  auto dns = std::make_shared<fake_resolver>();
  reports got;
  server_refresher r({"stun.test:3478"}, false, dns, server_refresher::clock::duration::zero(), 1ms, {}, got.fn(), true,
                     10ms);
  ASSERT_TRUE(wait_rounds(r, 2));
  dns->set_host("stun.test", {"192.0.2.1"});
  ASSERT_TRUE(got.wait_for(1));
  const auto rounds = r.rounds();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(r.rounds(), rounds);
  r.refresh_soon();  // still possible on request (every server failed)
  ASSERT_TRUE(wait_rounds(r, rounds + 1));
}

TEST(ServerRefresher, FirstRoundWaitIsBounded) {
  auto dns = std::make_shared<fake_resolver>();
  dns->host_delay_ms = 2000;
  reports got;
  server_refresher r({"stun.test:3478"}, false, dns, std::chrono::hours(1), 1ms, {}, got.fn(), true, 10ms);
  const auto t0 = server_refresher::clock::now();
  EXPECT_FALSE(r.wait_first_round(t0 + 50ms));
  EXPECT_LT(server_refresher::clock::now() - t0, 1s);
}
