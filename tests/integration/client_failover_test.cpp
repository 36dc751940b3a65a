// Transactions against real, imperfect servers over loopback: a silent
// server (bound, never answers), a lossy slow path (an in-test relay that
// drops and delays deterministically), a server that stops and comes back.
// Default options unless a test says otherwise.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "client_support.hpp"
#include "event_log.hpp"
#include "pinhole/port_manager.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;
using fake = test::fake_stun_server;
using clk = std::chrono::steady_clock;
using test::event_log;

namespace {

const ip_endpoint remote_v4 = ep("127.0.0.1:5004");

long long ms_since(clk::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - t0).count();
}

std::unique_ptr<port_manager> make(options o) {
  std::error_code ec;
  auto pm = port_manager::create(std::move(o), ec);
  EXPECT_TRUE(pm) << ec.message();
  return pm;
}

// A UDP relay in front of `server`: every 5th datagram in each direction is
// dropped (20 % loss, deterministic) and every datagram is delayed by
// `one_way` (so the round trip is 2 x one_way). One back socket per client
// so the answers find their way.
class lossy_relay {
 public:
  lossy_relay(ip_endpoint server, std::chrono::milliseconds one_way) : server_(server), delay_(one_way) {
    thread_ = std::thread([this] { run(); });
  }
  ~lossy_relay() {
    stop_ = true;
    thread_.join();
  }
  ip_endpoint address() const { return front_.local(); }

 private:
  struct queued {
    clk::time_point at;
    int fd;
    ip_endpoint to;
    std::vector<std::byte> bytes;
  };
  void run() {
    std::vector<std::byte> buf(2048);
    while (!stop_) {
      std::vector<pollfd> fds{{front_.fd(), POLLIN, 0}};
      std::vector<std::pair<ip_endpoint, test::udp_socket*>> backs;
      for (auto& [client, sock] : back_) {
        fds.push_back({sock->fd(), POLLIN, 0});
        backs.emplace_back(client, sock.get());
      }
      ::poll(fds.data(), fds.size(), 1);
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if ((fds[k].revents & POLLIN) == 0) continue;
        const auto r = client::receive_udp(fds[k].fd, buf);
        if (r.kind != client::received::datagram) continue;
        std::vector<std::byte> bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.size));
        if (k == 0) {  // client -> server
          auto& back = back_[r.peer];
          if (!back) back = std::make_unique<test::udp_socket>();
          if (++up_ % 5 == 0) continue;
          queue_.push_back({clk::now() + delay_, back->fd(), server_, std::move(bytes)});
        } else {  // server -> client
          if (++down_ % 5 == 0) continue;
          queue_.push_back({clk::now() + delay_, front_.fd(), backs[k - 1].first, std::move(bytes)});
        }
      }
      while (!queue_.empty() && queue_.front().at <= clk::now()) {
        client::send_udp(queue_.front().fd, queue_.front().bytes, queue_.front().to);
        queue_.pop_front();
      }
    }
  }
  ip_endpoint server_;
  std::chrono::milliseconds delay_;
  test::udp_socket front_;
  std::map<ip_endpoint, std::unique_ptr<test::udp_socket>, client::endpoint_less> back_;
  std::deque<queued> queue_;
  unsigned up_ = 0, down_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST(Failover, SilentFirstServerCostsPartOfOneCallOnly) {
  fake silent, good;
  silent.set_mode(fake::mode::silent);
  event_log log;
  options o;  // defaults: the budget, RTO and failover as shipped
  o.servers = {silent.address().to_string(), good.address().to_string()};
  o.on_event = log.handler();
  auto pm = make(o);
  const auto t0 = clk::now();
  mapping m;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::audio_rtp, m));
  const auto first_ms = ms_since(t0);
  EXPECT_EQ(m.server, good.address());
  EXPECT_LT(first_ms, o.call_timeout.count());
  const auto down = log.wait_since(event_type::server_unreachable, t0, 1s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->first.server, silent.address());
  EXPECT_EQ(down->first.error, errc::timeout);
  // The silent server got more than one transmission in its share.
  EXPECT_GE(silent.requests(), 3);
  // Later calls go to the healthy server first: no time lost on the silent one.
  const int asked = silent.requests();
  std::vector<long long> later;
  for (int i = 0; i < 5; ++i) {
    const auto t1 = clk::now();
    mapping again;
    ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::audio_rtp, again));
    later.push_back(ms_since(t1));
    EXPECT_EQ(again.server, good.address());
  }
  EXPECT_EQ(silent.requests(), asked);
  std::printf("[measure] GetMapping with a silent first server (defaults): first %lld ms, then %lld ms\n", first_ms,
              later.back());
}

TEST(Failover, SilentServerIsReprobedAndRecovers) {
  fake flaky, good;
  flaky.set_mode(fake::mode::silent);
  event_log log;
  options o;
  o.servers = {flaky.address().to_string(), good.address().to_string()};
  o.on_event = log.handler();
  auto pm = make(o);
  const auto t0 = clk::now();
  mapping m;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::sip, m));
  ASSERT_TRUE(log.wait_since(event_type::server_unreachable, t0, 1s));
  flaky.set_mode(fake::mode::normal);
  // Re-probed in the background (first after 5 s): server_recovered, and the
  // next call uses it again.
  const auto back = log.wait_since(event_type::server_recovered, t0, 10s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->first.server, flaky.address());
  mapping again;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::sip, again));
  EXPECT_EQ(again.server, flaky.address());
}

TEST(Failover, LossySlowPathDoesNotFailCalls) {
  fake srv;
  lossy_relay relay(srv.address(), 40ms);  // 80 ms round trip, 20 % loss each way
  options o;
  o.servers = {relay.address().to_string()};
  o.check_destination_dependence = false;
  auto pm = make(o);
  int failed = 0;
  std::vector<long long> ms;
  for (int i = 0; i < 50; ++i) {
    mapping m;
    const auto t0 = clk::now();
    const auto ec = pm->get_mapping(remote_v4, port_type::audio_rtp, m);
    ms.push_back(ms_since(t0));
    if (ec) {
      ++failed;
      continue;
    }
    pm->release_mapping(m.internal, m.external);
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "[measure] 50 GetMappings through 80 ms RTT / 20 %% loss (defaults): %d failed, p50 %lld ms, max %lld ms\n",
      failed, ms[ms.size() / 2], ms.back());
  EXPECT_EQ(failed, 0);
}

TEST(HealthEvents, MappingLostAndRestoredWithinTheDocumentedBound) {
  fake srv;
  event_log log;
  options o;
  o.servers = {srv.address().to_string()};
  o.keepalive_interval = 1000ms;  // the setup: 1 s keep-alives, default budget
  o.on_event = log.handler();
  auto pm = make(o);
  mapping m;
  ASSERT_FALSE(pm->get_mapping(remote_v4, port_type::audio_rtp, m));
  // options.hpp: worst case keepalive_interval + call_timeout. The slack is
  // for a loaded CI machine, not part of the bound.
  const auto bound = o.keepalive_interval + o.call_timeout;
  const auto slack = 1500ms;
  srv.set_mode(fake::mode::silent);  // what SIGSTOP looks like from outside
  const auto t0 = clk::now();
  const auto lost = log.wait_since(event_type::mapping_lost, t0, bound + slack);
  ASSERT_TRUE(lost) << "no mapping_lost within " << (bound + slack).count() << " ms";
  const auto lost_ms = std::chrono::duration_cast<std::chrono::milliseconds>(lost->second - t0).count();
  EXPECT_EQ(lost->first.current.internal, m.internal);
  EXPECT_EQ(lost->first.error, errc::timeout);
  srv.set_mode(fake::mode::normal);
  const auto t1 = clk::now();
  const auto restored = log.wait_since(event_type::mapping_restored, t1, bound + slack);
  ASSERT_TRUE(restored) << "no mapping_restored";
  const auto restored_ms = std::chrono::duration_cast<std::chrono::milliseconds>(restored->second - t1).count();
  EXPECT_EQ(restored->first.current.internal, m.internal);
  EXPECT_EQ(restored->first.current.external, m.external);
  EXPECT_TRUE(log.wait_since(event_type::server_recovered, t1, 1s));
  std::printf(
      "[measure] 1 s keep-alives, default budget: mapping_lost after %lld ms (bound %lld), "
      "mapping_restored %lld ms after the server came back\n",
      static_cast<long long>(lost_ms), static_cast<long long>(bound.count()), static_cast<long long>(restored_ms));
}
