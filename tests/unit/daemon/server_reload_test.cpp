// server::bind / reload in-process over loopback: listeners added, kept
// (same socket) and removed; a reload that cannot bind changes nothing;
// settings the workers read take effect at once; workers stay as started.
#include "outcome_util.hpp"
#include "server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "stun/attributes.hpp"
#include "stun/constants.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "udp_peer.hpp"

namespace pd = pinhole::daemon;
using pinhole::stun::transport_address;
using pinhole::test::udp_peer;
using namespace std::chrono_literals;

namespace {

pd::listen_spec spec(const std::string& text) {
  pd::listen_spec s;
  EXPECT_TRUE(pd::parse_listen(text, s)) << text;
  return s;
}

pd::config one_worker(std::vector<std::string> listen) {
  auto cfg = pd::default_config();
  cfg.workers = 1;
  cfg.level = pd::log_level::error;
  cfg.listen.clear();
  for (const auto& l : listen) cfg.listen.push_back(spec(l));
  return cfg;
}

// The answer of `to` to one Binding request from `peer`, if any within 300 ms.
std::optional<pinhole::stun::message_view> ask(const udp_peer& peer, const transport_address& to,
                                               std::vector<std::byte>& storage) {
  std::array<std::byte, 12> id{};
  id[0] = std::byte{0x5a};
  std::vector<std::byte> req(64);
  pinhole::stun::message_writer w(req);
  w.begin(pinhole::stun::binding_request, id);
  req.resize(w.size());
  peer.send_to(req, to);
  const auto d = peer.receive(300ms);
  if (!d) return std::nullopt;
  storage = d->bytes;
  pinhole::stun::message_view m;
  if (pinhole::stun::message_view::parse(storage, m)) return std::nullopt;
  return m;
}

bool answers(const udp_peer& peer, const transport_address& to) {
  std::vector<std::byte> s;
  const auto m = ask(peer, to, s);
  return m && m->type() == pinhole::stun::binding_success;
}

template <class Pred>
bool settles(Pred ok) {
  for (int i = 0; i < 100 && !ok(); ++i) std::this_thread::sleep_for(10ms);
  return ok();
}

class ServerReload : public ::testing::Test {
 protected:
  void start(const pd::config& cfg) {
    srv_.emplace(cfg);
    std::string error;
    ASSERT_TRUE(pd::succeeded(srv_->bind(), error)) << error;
    srv_->start();
  }
  void TearDown() override {
    if (srv_) srv_->stop();
  }
  transport_address at(std::size_t i) const { return srv_->listeners().at(i).bound; }

  std::optional<pd::server> srv_;
  udp_peer peer_{*transport_address::parse("127.0.0.1:0")};
};

TEST_F(ServerReload, AddsAListenerAndKeepsTheSocketOfTheOneThatStays) {
  start(one_worker({"127.0.0.1:0"}));
  const auto first = at(0);
  ASSERT_TRUE(answers(peer_, first));
  std::string error;
  ASSERT_TRUE(pd::succeeded(srv_->reload(one_worker({"127.0.0.1:0", "127.0.0.2:0"})), error)) << error;
  ASSERT_EQ(srv_->listeners().size(), 2U);
  EXPECT_EQ(at(0), first);  // kept: same port, same socket
  EXPECT_NE(at(1), first);
  EXPECT_TRUE(answers(peer_, first));
  EXPECT_TRUE(answers(peer_, at(1)));
  // Its counters stayed with it (a worker counts just after it sends).
  EXPECT_TRUE(settles([&] { return srv_->listener_totals(0)[static_cast<std::size_t>(pd::counter::answered)] == 2; }));
}

TEST_F(ServerReload, RemovesAListenerThatIsNoLongerConfigured) {
  start(one_worker({"127.0.0.1:0", "127.0.0.2:0"}));
  const auto kept = at(0);
  const auto gone = at(1);
  ASSERT_TRUE(answers(peer_, gone));
  std::string error;
  ASSERT_TRUE(pd::succeeded(srv_->reload(one_worker({"127.0.0.1:0"})), error)) << error;
  ASSERT_EQ(srv_->listeners().size(), 1U);
  EXPECT_EQ(at(0), kept);
  EXPECT_TRUE(answers(peer_, kept));
  EXPECT_FALSE(answers(peer_, gone));
  udp_peer rebound(gone);  // the port was closed: free again
  EXPECT_EQ(rebound.local(), gone);
}

TEST_F(ServerReload, ANewListenerThatCannotBeBoundRejectsTheWholeReload) {
  start(one_worker({"127.0.0.1:0"}));
  const auto first = at(0);
  const udp_peer holder(*transport_address::parse("127.0.0.1:0"));
  std::string error;
  auto next = one_worker({"127.0.0.1:0", "127.0.0.2:0", holder.local().to_string()});
  next.software = "changed";
  EXPECT_FALSE(pd::succeeded(srv_->reload(next), error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos);  // one line
  ASSERT_EQ(srv_->listeners().size(), 1U);
  EXPECT_EQ(at(0), first);
  EXPECT_TRUE(srv_->effective_config().software.empty());  // the old config stays
  EXPECT_TRUE(answers(peer_, first));
}

TEST_F(ServerReload, AnInvalidConfigIsRejectedWithTheValidatorsMessage) {
  start(one_worker({"127.0.0.1:0"}));
  auto bad = one_worker({"127.0.0.1:0"});
  bad.batch = 0;
  std::string error;
  EXPECT_FALSE(pd::succeeded(srv_->reload(bad), error));
  EXPECT_EQ(error.rfind("config: ", 0), 0U) << error;
  EXPECT_EQ(srv_->effective_config().batch, pd::default_config().batch);
  EXPECT_TRUE(answers(peer_, at(0)));
}

TEST_F(ServerReload, WorkersAndBatchKeepTheirRunningValues) {
  start(one_worker({"127.0.0.1:0"}));
  auto next = one_worker({"127.0.0.1:0"});
  next.workers = 3;
  next.batch = 8;
  std::string error;
  ASSERT_TRUE(pd::succeeded(srv_->reload(next), error)) << error;
  EXPECT_EQ(srv_->worker_count(), 1U);
  EXPECT_EQ(srv_->effective_config().workers, 1U);
  EXPECT_EQ(srv_->effective_config().batch, pd::default_config().batch);
}

TEST_F(ServerReload, WorkerSettingsTakeEffectAtOnce) {
  start(one_worker({"127.0.0.1:0"}));
  auto next = one_worker({"127.0.0.1:0"});
  next.software = "pinhole-reload-test";
  std::string error;
  ASSERT_TRUE(pd::succeeded(srv_->reload(next), error)) << error;
  std::vector<std::byte> storage;
  const auto m = ask(peer_, at(0), storage);
  ASSERT_TRUE(m);
  const auto sw = m->find(pinhole::stun::attr::software);
  ASSERT_TRUE(sw);
  std::string_view text;
  ASSERT_FALSE(pinhole::stun::decode_text(*sw, 763, text));
  EXPECT_EQ(text, "pinhole-reload-test");
  // An ACL that leaves loopback out: dropped, and counted.
  next.allow = {"198.51.100.0/24"};
  ASSERT_TRUE(pd::succeeded(srv_->reload(next), error)) << error;
  EXPECT_FALSE(answers(peer_, at(0)));
  EXPECT_TRUE(
      settles([&] { return srv_->counters().total()[static_cast<std::size_t>(pd::counter::dropped_acl)] >= 1; }));
}

TEST_F(ServerReload, DroppingSurvivesAReloadUntilCleared) {
  start(one_worker({"127.0.0.1:0"}));
  srv_->set_dropping(true);
  std::string error;
  ASSERT_TRUE(pd::succeeded(srv_->reload(one_worker({"127.0.0.1:0"})), error)) << error;
  EXPECT_TRUE(srv_->dropping());
  EXPECT_FALSE(answers(peer_, at(0)));
  srv_->set_dropping(false);
  EXPECT_TRUE(answers(peer_, at(0)));
}

}  // namespace
