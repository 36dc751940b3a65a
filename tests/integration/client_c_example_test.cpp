// pinhole-example-echo (client_lib/examples/echo_example.c, pinhole.h only)
// against the real pinholed and an echo peer on loopback: every datagram
// sent with pinhole_send comes back through the datagram callback, and the
// event callback reports the server going away.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "client_support.hpp"

using namespace pinhole;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sends every datagram back to where it came from.
class echo_peer {
 public:
  echo_peer() : thread_([this] { run(); }) {}
  echo_peer(const echo_peer&) = delete;
  echo_peer& operator=(const echo_peer&) = delete;
  ~echo_peer() {
    stop_ = true;
    thread_.join();
  }
  std::string address() const { return sock_.local().to_string(); }
  unsigned echoed() const { return echoed_; }

 private:
  void run() {
    while (!stop_) {
      const auto d = sock_.receive(std::chrono::milliseconds(50));
      if (!d) continue;
      sock_.send_to(d->bytes, d->from);
      ++echoed_;
    }
  }
  test::udp_socket sock_;
  std::atomic<bool> stop_{false};
  std::atomic<unsigned> echoed_{0};
  std::thread thread_;
};

}  // namespace

TEST(CExampleEcho, HundredEchoesAtThousandPerSecondNoneLost) {
  const auto stun = test::pinholed::plain_address();
  test::pinholed server({"--listen", stun.to_string()}, stun);
  ASSERT_TRUE(server.ready());
  echo_peer peer;
  const auto r = test::run({PINHOLE_EXAMPLE_ECHO_PATH, "--server", stun.to_string(), "--peer", peer.address(),
                            "--count", "100", "--rate", "1000"});
  std::printf("%s", r.out.c_str());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("mapping 127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("echo sent=100 received=100 lost=0 duplicates=0 strangers=0 send_failures=0 rate=1000/s"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(peer.echoed(), 100U);
  EXPECT_NE(r.out.find("release success"), std::string::npos) << r.out;
}

TEST(CExampleEcho, EventCallbackReportsTheServerGoingAway) {
  const auto stun = test::pinholed::plain_address();
  test::pinholed server({"--listen", stun.to_string()}, stun);
  ASSERT_TRUE(server.ready());
  echo_peer peer;
  const std::string log = "/tmp/pinhole-example-echo-" + std::to_string(stun.port) + ".log";
  test::child_process example(
      {PINHOLE_EXAMPLE_ECHO_PATH, "--server", stun.to_string(), "--peer", peer.address(), "--count", "20",
       "--keepalive-ms", "200", "--linger-ms", "8000", "--until", "server_unreachable"},
      log);
  ASSERT_TRUE(example.started());
  for (int i = 0; i < 500 && slurp(log).find("echo sent=") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(slurp(log).find("echo sent=20 received=20 lost=0"), std::string::npos) << slurp(log);
  server.stop();  // the next keep-alive meets ICMP port unreachable
  for (int i = 0; i < 1000 && slurp(log).find("release ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int status = example.stop();
  const auto out = slurp(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("event server_unreachable mapping"), std::string::npos) << out;
  EXPECT_NE(out.find("server " + stun.ip_string() + ":" + std::to_string(stun.port)), std::string::npos) << out;
  if (!::testing::Test::HasFailure()) std::remove(log.c_str());
}
