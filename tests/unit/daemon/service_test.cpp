// run_service in-process: it serves until SIGTERM, re-reads its config file
// on SIGHUP (a bad one is rejected and changes nothing), drains on SIGUSR1
// and comes back on SIGUSR2, and exits 2 when the address is taken. The
// signals go to this process while run_service runs on a thread of it.
#include "service.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "resources.hpp"
#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "temp_file.hpp"
#include "udp_peer.hpp"

namespace pd = pinhole::daemon;
using pinhole::stun::transport_address;
using pinhole::test::temp_file;
using pinhole::test::udp_peer;
using namespace std::chrono_literals;

namespace {

bool answers(const udp_peer& peer, const transport_address& to) {
  std::array<std::byte, 12> id{};
  id[0] = std::byte{0x77};
  std::vector<std::byte> req(64);
  pinhole::stun::message_writer w(req);
  w.begin(pinhole::stun::binding_request, id);
  req.resize(w.size());
  peer.send_to(req, to);
  const auto d = peer.receive(200ms);
  pinhole::stun::message_view m;
  return d && !pinhole::stun::message_view::parse(d->bytes, m) && m.type() == pinhole::stun::binding_success;
}

bool eventually(const std::function<bool()>& ok) {
  for (int i = 0; i < 50; ++i) {
    if (ok()) return true;
  }
  return false;
}

// A loopback address that was free a moment ago.
transport_address free_address() {
  const udp_peer p(*transport_address::parse("127.0.0.1:0"));
  return p.local();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

std::string listen_json(const std::vector<transport_address>& addrs) {
  std::string s = R"({"drain_grace_ms": 0, "log_level": "error", "listen": [)";
  for (std::size_t i = 0; i < addrs.size(); ++i) s += (i ? ", \"" : "\"") + addrs[i].to_string() + "\"";
  return s + "]}";
}

// run_service on its own thread with argv "pinholed --config FILE --workers 1".
class Service : public ::testing::Test {
 protected:
  void run(const std::string& config_path) {
    args_ = {"pinholed", "--config", config_path, "--workers", "1"};
    for (auto& a : args_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    const auto cli = pd::parse_cli(static_cast<int>(args_.size()), argv_.data());
    ASSERT_EQ(cli.what, pd::cli_result::action::run) << cli.message;
    const auto needs = pd::estimate_resources(cli.cfg);
    rc_ = std::async(std::launch::async, [this, cfg = cli.cfg, needs] {
      return pd::run_service(cfg, needs, 1024, static_cast<int>(args_.size()), argv_.data());
    });
  }
  int stop() {
    ::kill(::getpid(), SIGTERM);
    EXPECT_EQ(rc_.wait_for(10s), std::future_status::ready);
    return rc_.get();
  }

  std::vector<std::string> args_;
  std::vector<char*> argv_;
  std::future<int> rc_;
  udp_peer peer_{*transport_address::parse("127.0.0.1:0")};
};

TEST_F(Service, ServesUntilSigtermThenExitsZero) {
  const auto a = free_address();
  temp_file cfg(listen_json({a}));
  run(cfg.path());
  ASSERT_TRUE(eventually([&] { return answers(peer_, a); }));
  EXPECT_EQ(stop(), 0);
  EXPECT_FALSE(answers(peer_, a));
}

TEST_F(Service, SighupReloadsTheFileAndABadFileChangesNothing) {
  const auto a = free_address();
  const auto b = free_address();
  temp_file cfg(listen_json({a}));
  run(cfg.path());
  ASSERT_TRUE(eventually([&] { return answers(peer_, a); }));
  EXPECT_FALSE(answers(peer_, b));
  write_file(cfg.path(), listen_json({a, b}));
  ::kill(::getpid(), SIGHUP);
  EXPECT_TRUE(eventually([&] { return answers(peer_, b); }));
  EXPECT_TRUE(answers(peer_, a));
  write_file(cfg.path(), R"({"listen": "not a list"})");
  ::kill(::getpid(), SIGHUP);
  std::this_thread::sleep_for(200ms);  // nothing observable changes: both keep answering
  EXPECT_TRUE(answers(peer_, a));
  EXPECT_TRUE(answers(peer_, b));
  EXPECT_EQ(stop(), 0);
}

TEST_F(Service, Sigusr1DrainsAndSigusr2EndsTheDrain) {
  const auto a = free_address();
  temp_file cfg(listen_json({a}));  // drain_grace_ms 0: dropping at once
  run(cfg.path());
  ASSERT_TRUE(eventually([&] { return answers(peer_, a); }));
  ::kill(::getpid(), SIGUSR1);
  EXPECT_TRUE(eventually([&] { return !answers(peer_, a); }));
  ::kill(::getpid(), SIGUSR2);
  EXPECT_TRUE(eventually([&] { return answers(peer_, a); }));
  EXPECT_EQ(stop(), 0);
}

TEST_F(Service, AnAddressAnotherSocketServesExitsTwo) {
  const udp_peer holder(*transport_address::parse("127.0.0.1:0"));
  temp_file cfg(listen_json({holder.local()}));
  run(cfg.path());
  ASSERT_EQ(rc_.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(rc_.get(), 2);
}

}  // namespace
