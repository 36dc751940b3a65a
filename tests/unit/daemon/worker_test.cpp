// worker: one thread's sockets, drained and answered; driven by hand
// (drain) and with its own thread (start/stop, heartbeats, live removal).
#include "worker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "udp_peer.hpp"
#include "udp_socket.hpp"

namespace pd = pinhole::daemon;
using pinhole::stun::transport_address;
using pinhole::test::udp_peer;
using namespace std::chrono_literals;

namespace {

std::vector<std::byte> binding(std::uint8_t tag) {
  std::array<std::byte, 12> id{};
  id[0] = std::byte{tag};
  std::vector<std::byte> buf(64);
  pinhole::stun::message_writer w(buf);
  w.begin(pinhole::stun::binding_request, id);
  buf.resize(w.size());
  return buf;
}

struct fixture {
  pd::state_ref state;
  pd::counter_block counters;
  pd::listener where;
  int fd = -1;

  explicit fixture(const pd::config& cfg = pd::default_config()) {
    state.store(pd::make_runtime_state(cfg, {}));
    if (pd::open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, fd, where.bound)) {
      throw std::runtime_error("open_udp_socket");
    }
    where.name = where.bound.to_string();
  }
  std::uint64_t get(pd::counter c) const { return counters.get(c); }
};

bool eventually(const std::function<bool()>& ok) {
  for (int i = 0; i < 500; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ok();
}

}  // namespace

TEST(Worker, DrainAnswersWhatIsQueuedAndCountsEveryDatagram) {
  fixture f;
  pd::worker w(0, f.state, 4);  // batch 4: 6 datagrams take two recvmmsg rounds
  w.add_socket(f.fd, f.where, f.counters);
  EXPECT_EQ(w.sockets(), 1U);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 5; ++i) client.send_to(binding(i), f.where.bound);
  const std::vector<std::byte> junk(7, std::byte{0xFF});
  client.send_to(junk, f.where.bound);

  std::size_t read = 0;
  for (int i = 0; i < 200 && read < 6; ++i) {
    read += w.drain(0);
    if (read < 6) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read, 6U);
  for (std::uint8_t i = 0; i < 5; ++i) {
    const auto r = client.receive();
    ASSERT_TRUE(r) << int{i};
    pinhole::stun::message_view m;
    ASSERT_FALSE(pinhole::stun::message_view::parse(r->bytes, m));
    EXPECT_EQ(m.type(), pinhole::stun::binding_success);
  }
  EXPECT_EQ(f.get(pd::counter::received), 6U);
  EXPECT_EQ(f.get(pd::counter::answered), 5U);
  EXPECT_EQ(f.get(pd::counter::dropped_malformed), 1U);
  EXPECT_EQ(w.drain(0), 0U);  // nothing left
}

TEST(Worker, ThreadServesHeartbeatsAndLetsASocketGo) {
  fixture f;
  pd::worker w(0, f.state, 8);
  w.add_socket(f.fd, f.where, f.counters);
  w.start();
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding(1), f.where.bound);
  ASSERT_TRUE(client.receive());
  EXPECT_GE(w.wakeups(), 1U);
  EXPECT_EQ(w.polls(), 0U);  // coalescing is off by default

  const auto beats = w.beats();
  w.heartbeat();
  EXPECT_TRUE(eventually([&] { return w.beats() == beats + 1; }));

  w.remove_socket(f.where);  // while running: on the worker's thread
  EXPECT_EQ(w.sockets(), 0U);
  client.send_to(binding(2), f.where.bound);
  EXPECT_FALSE(client.receive(200ms));  // closed: nobody answers
  w.stop();
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
}

TEST(Worker, CoalescingReadsOnItsTimerUnderLoad) {
  pd::config cfg = pd::default_config();
  cfg.coalesce_us = 10000;
  fixture f(cfg);
  pd::worker w(0, f.state, 32);
  w.add_socket(f.fd, f.where, f.counters);
  w.start();
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 40; ++i) client.send_to(binding(i), f.where.bound);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client.receive()) << i;
  EXPECT_TRUE(eventually([&] { return w.polls() >= 1; }));
  EXPECT_LT(w.wakeups(), 40U);
  w.stop();
}

TEST(Worker, DrainModeDropsAndCountsEveryDatagram) {
  fixture f;
  pd::worker w(0, f.state, 8);
  w.add_socket(f.fd, f.where, f.counters);
  f.state.store(pd::make_runtime_state(pd::default_config(), {}, nullptr, /*drop_all=*/true));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (std::uint8_t i = 0; i < 3; ++i) client.send_to(binding(i), f.where.bound);
  std::size_t read = 0;
  for (int i = 0; i < 200 && read < 3; ++i) {
    read += w.drain(0);
    if (read < 3) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(read, 3U);
  EXPECT_FALSE(client.receive(200ms));  // none answered
  EXPECT_EQ(f.get(pd::counter::received), 3U);
  EXPECT_EQ(f.get(pd::counter::dropped_draining), 3U);
  EXPECT_EQ(f.get(pd::counter::answered), 0U);

  f.state.store(pd::make_runtime_state(pd::default_config(), {}));  // drain ended
  client.send_to(binding(9), f.where.bound);
  read = 0;
  for (int i = 0; i < 200 && read < 1; ++i) {
    read += w.drain(0);
    if (read < 1) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(client.receive());
  EXPECT_EQ(f.get(pd::counter::answered), 1U);
}
