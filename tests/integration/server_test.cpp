// pinholed's server over real UDP sockets on loopback, IPv4 and IPv6.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <thread>

#include "outcome_util.hpp"
#include "server.hpp"
#include "settled_total.hpp"
#include "stun/attributes.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "test_bytes.hpp"
#include "udp_peer.hpp"

using namespace pinhole;
using namespace pinhole::daemon;
using stun::transport_address;
using test::udp_peer;

namespace {

listen_spec spec(const char* text) {
  listen_spec l;
  EXPECT_TRUE(parse_listen(text, l)) << text;
  return l;
}

config base_config(std::initializer_list<const char*> listen) {
  config c = default_config();
  c.listen.clear();
  for (const char* l : listen) c.listen.push_back(spec(l));
  c.workers = 2;
  return c;
}

std::array<std::byte, 12> new_txid() {
  static std::uint8_t counter = 0;
  std::array<std::byte, 12> id{};
  for (auto& b : id) b = static_cast<std::byte>(++counter * 37U);
  return id;
}

std::vector<std::byte> binding(auto&& fill) {
  std::vector<std::byte> buf(512);
  stun::message_writer w(buf);
  w.begin(stun::binding_request, new_txid());
  fill(w);
  buf.resize(w.size());
  return buf;
}
std::vector<std::byte> binding() {
  return binding([](stun::message_writer&) {});
}

transport_address address_attr(const stun::message_view& m, std::uint16_t type) {
  transport_address a;
  const auto raw = m.find(type);
  EXPECT_TRUE(raw) << "missing attribute " << type;
  if (!raw) return a;
  if (type == stun::attr::xor_mapped_address) {
    EXPECT_FALSE(stun::decode_xor_address(*raw, m.cookie_and_id(), a));
  } else {
    EXPECT_FALSE(stun::decode_address(*raw, a));
  }
  return a;
}

// Waits until the server has counted `n` received datagrams.
bool wait_received(const server& s, std::uint64_t n) {
  for (int i = 0; i < 200; ++i) {
    if (s.counters().total()[static_cast<std::size_t>(counter::received)] >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::uint64_t total(const server& s, counter c) { return test::settled_total(s, c); }

struct running {
  server srv;
  explicit running(const config& c) : srv(c) {
    std::string error;
    if (!succeeded(srv.bind(), error)) throw std::runtime_error(error);
    srv.start();
  }
  ~running() { srv.stop(); }
  const transport_address& at(std::size_t i) const { return srv.listeners().at(i).bound; }
};

}  // namespace

TEST(Server, BindingOverIpv4AndIpv6) {
  running r(base_config({"127.0.0.1:0", "[::1]:0"}));
  for (std::size_t i = 0; i < 2; ++i) {
    const auto server_addr = r.at(i);
    udp_peer client(*transport_address::parse_ip(i == 0 ? "127.0.0.1" : "::1", 0));
    const auto req = binding();
    client.send_to(req, server_addr);
    const auto resp = client.receive();
    ASSERT_TRUE(resp) << server_addr.to_string();
    EXPECT_EQ(resp->from, server_addr);
    stun::message_view m;
    ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
    EXPECT_EQ(m.type(), stun::binding_success);
    EXPECT_TRUE(std::equal(req.begin() + 8, req.begin() + 20, resp->bytes.begin() + 8));
    EXPECT_EQ(address_attr(m, stun::attr::xor_mapped_address), client.local());
  }
  EXPECT_EQ(total(r.srv, counter::answered), 2U);
}

TEST(Server, ClassicRequestGetsMappedAddress) {
  running r(base_config({"127.0.0.1:0"}));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  const auto req = test::hex("0001 0000 00112233445566778899aabbccddeeff");
  client.send_to(req, r.at(0));
  const auto resp = client.receive();
  ASSERT_TRUE(resp);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
  EXPECT_TRUE(m.classic());
  EXPECT_EQ(address_attr(m, stun::attr::mapped_address), client.local());
  EXPECT_FALSE(m.find(stun::attr::xor_mapped_address));
}

TEST(Server, WildcardListenerAnswersFromTheAddressTheRequestReached) {
  // Without IP_PKTINFO the kernel would pick 127.0.0.1 as the source for a
  // reply to 127.0.0.1; the request went to 127.0.0.2, so must the reply.
  running r(base_config({"0.0.0.0:0"}));
  const std::uint16_t port = r.at(0).port;
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (const char* target : {"127.0.0.2", "127.0.0.1", "127.0.0.3"}) {
    const auto to = *transport_address::parse_ip(target, port);
    client.send_to(binding(), to);
    const auto resp = client.receive();
    ASSERT_TRUE(resp) << target;
    EXPECT_EQ(resp->from, to) << target;
  }
}

TEST(Server, Rfc5780ChangeRequestAnsweredFromOtherIpAndPort) {
  config c = base_config({});
  c.rfc5780.enabled = true;
  c.rfc5780.primary_ip = "127.0.0.1";
  c.rfc5780.alternate_ip = "127.0.0.2";
  c.rfc5780.primary_port = 0;  // kernel-chosen, shared by PP/AP and PA/AA
  c.rfc5780.alternate_port = 0;
  running r(c);
  ASSERT_EQ(r.srv.listeners().size(), 4U);
  const auto pp = r.at(0), pa = r.at(1), ap = r.at(2), aa = r.at(3);
  EXPECT_EQ(pp.port, ap.port);
  EXPECT_EQ(pa.port, aa.port);
  ASSERT_TRUE(r.srv.state()->handler.rfc5780);

  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  struct row {
    bool ip, port;
    transport_address expect;
  };
  for (const row& w : {row{false, false, pp}, row{true, false, ap}, row{false, true, pa}, row{true, true, aa}}) {
    client.send_to(binding([&](stun::message_writer& wr) { wr.add_change_request(w.ip, w.port); }), pp);
    const auto resp = client.receive();
    ASSERT_TRUE(resp) << w.ip << w.port;
    EXPECT_EQ(resp->from, w.expect) << "answer must really leave from the requested socket";
    stun::message_view m;
    ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
    EXPECT_EQ(address_attr(m, stun::attr::response_origin), w.expect);
    EXPECT_EQ(address_attr(m, stun::attr::other_address), aa);
    EXPECT_EQ(address_attr(m, stun::attr::xor_mapped_address), client.local());
    EXPECT_EQ(address_attr(m, stun::attr::mapped_address), client.local());
  }
}

TEST(Server, ChangeRequestWithoutAlternateGets420) {
  running r(base_config({"127.0.0.1:0"}));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding([](stun::message_writer& w) { w.add_change_request(true, true); }), r.at(0));
  const auto resp = client.receive();
  ASSERT_TRUE(resp);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
  EXPECT_EQ(m.type(), stun::binding_error);
  stun::error_code_value e;
  ASSERT_FALSE(stun::decode_error_code(*m.find(stun::attr::error_code), e));
  EXPECT_EQ(e.code, 420);
  EXPECT_EQ(total(r.srv, counter::error_420), 1U);
}

TEST(Server, ResponsePortSendsToAnotherPortOfTheSameHost) {
  running r(base_config({"127.0.0.1:0"}));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  udp_peer other(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding([&](stun::message_writer& w) { w.add_response_port(other.local().port); }), r.at(0));
  const auto resp = other.receive();
  ASSERT_TRUE(resp);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
  EXPECT_EQ(address_attr(m, stun::attr::xor_mapped_address), client.local());
  EXPECT_FALSE(client.receive(std::chrono::milliseconds(100)));
}

TEST(Server, MalformedDatagramsAreDroppedAndCountedValidOnesStillAnswered) {
  running r(base_config({"127.0.0.1:0"}));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  const std::vector<std::vector<std::byte>> junk = {
      {},                                                        // empty datagram
      test::hex("00"),                                           // 1 byte
      test::hex("ffff 0000 2112a442 000102030405060708090a0b"),  // top bits set
      test::hex("0001 0010 2112a442 000102030405060708090a0b"),  // length past datagram
      test::hex("0101 0000 2112a442 000102030405060708090a0b"),  // a response
      test::hex("0011 0000 2112a442 000102030405060708090a0b"),  // an indication
      std::vector<std::byte>(9000, std::byte{0}),                // oversized
  };
  std::size_t sent = 0;
  for (const auto& j : junk) {
    client.send_to(j, r.at(0));
    client.send_to(binding(), r.at(0));
    sent += 2;
    const auto resp = client.receive();
    ASSERT_TRUE(resp) << "valid request after junk #" << sent / 2 << " was not answered";
    stun::message_view m;
    ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
    EXPECT_EQ(m.type(), stun::binding_success);
  }
  ASSERT_TRUE(wait_received(r.srv, sent));
  EXPECT_FALSE(client.receive(std::chrono::milliseconds(100))) << "junk must never be answered";
  EXPECT_EQ(total(r.srv, counter::answered), junk.size());
  EXPECT_EQ(total(r.srv, counter::dropped_malformed), 5U);
  EXPECT_EQ(total(r.srv, counter::dropped_response), 1U);
  EXPECT_EQ(total(r.srv, counter::dropped_indication), 1U);
  EXPECT_EQ(total(r.srv, counter::received), sent);
}

TEST(Server, ReloadChangesWhatWorkersSee) {
  running r(base_config({"127.0.0.1:0"}));
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  config c = r.srv.state()->cfg;
  c.software = "pinhole reloaded";
  std::string error;
  ASSERT_TRUE(succeeded(r.srv.reload(c), error)) << error;
  client.send_to(binding(), r.at(0));
  const auto resp = client.receive();
  ASSERT_TRUE(resp);
  stun::message_view m;
  ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
  ASSERT_TRUE(m.find(stun::attr::software));
  // An invalid config is refused and the old one stays.
  c.batch = 0;
  EXPECT_FALSE(succeeded(r.srv.reload(c), error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(r.srv.state()->cfg.software, "pinhole reloaded");
}

TEST(Server, BindFailureIsAClearError) {
  running r(base_config({"127.0.0.1:0"}));
  config c = base_config({});
  c.listen.push_back(spec(r.at(0).to_string().c_str()));
  c.listen.back().addr.port = r.at(0).port;
  server second(c);
  std::string error;
  // The same address is free for SO_REUSEPORT only within one user+socket
  // group; binding a non-existent address must fail cleanly instead.
  config bad = base_config({"192.0.2.1:0"});
  server third(bad);
  EXPECT_FALSE(succeeded(third.bind(), error));
  EXPECT_NE(error.find("cannot bind 192.0.2.1:0"), std::string::npos) << error;
}

TEST(Server, ReloadAddsAndRemovesListenersAndKeepsTheOthers) {
  running r(base_config({"127.0.0.1:0"}));
  const transport_address kept = r.at(0);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  // The kept listener must be matched by its configured address, so pin it.
  config c = r.srv.state()->cfg;
  c.listen = {spec(kept.to_string().c_str()), spec("[::1]:0")};
  std::string error;
  // 127.0.0.1:0 -> 127.0.0.1:P is a change of spec: a new socket joins P's
  // SO_REUSEPORT group, then the old one is closed; the port stays the same.
  ASSERT_TRUE(succeeded(r.srv.reload(c), error)) << error;
  ASSERT_EQ(r.srv.listeners().size(), 2U);
  const transport_address v6 = r.srv.listeners()[1].bound;
  EXPECT_EQ(r.srv.listeners()[0].bound, kept);
  udp_peer client6(*transport_address::parse("[::1]:0"));
  client6.send_to(binding(), v6);
  ASSERT_TRUE(client6.receive());

  // Remove IPv6 again: its socket is closed, the IPv4 one keeps answering
  // throughout, and the totals do not go backwards.
  const auto before = total(r.srv, counter::answered);
  c.listen = {spec(kept.to_string().c_str())};
  ASSERT_TRUE(succeeded(r.srv.reload(c), error)) << error;
  ASSERT_EQ(r.srv.listeners().size(), 1U);
  EXPECT_EQ(total(r.srv, counter::answered), before);
  client6.send_to(binding(), v6);
  EXPECT_FALSE(client6.receive(std::chrono::milliseconds(300)));
  client.send_to(binding(), kept);
  EXPECT_TRUE(client.receive());

  // A listener that cannot be bound rejects the whole reload.
  c.listen = {spec(kept.to_string().c_str()), spec("192.0.2.1:0")};
  EXPECT_FALSE(succeeded(r.srv.reload(c), error));
  EXPECT_NE(error.find("cannot bind 192.0.2.1"), std::string::npos) << error;
  EXPECT_EQ(r.srv.listeners().size(), 1U);
  client.send_to(binding(), kept);
  EXPECT_TRUE(client.receive());
}

TEST(Server, AclAndRateLimitDropAndCount) {
  config c = base_config({"127.0.0.1:0"});
  c.allow = {"10.0.0.0/8"};
  running r(c);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  client.send_to(binding(), r.at(0));
  EXPECT_FALSE(client.receive(std::chrono::milliseconds(300)));
  EXPECT_EQ(total(r.srv, counter::dropped_acl), 1U);

  c.allow = {"127.0.0.0/8"};
  c.rate_limit.per_ip_rate = 1;
  c.rate_limit.per_ip_burst = 3;
  std::string error;
  ASSERT_TRUE(succeeded(r.srv.reload(c), error)) << error;
  for (int i = 0; i < 10; ++i) client.send_to(binding(), r.at(0));
  int answers = 0;
  while (client.receive(std::chrono::milliseconds(300))) ++answers;
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(total(r.srv, counter::dropped_rate_limited), 7U);
}

TEST(Server, GlobalCapDropsAndCounts) {
  config c = base_config({"127.0.0.1:0"});
  c.rate_limit.global_rate = 10;  // burst: max(32, rate/10) = 32
  running r(c);
  udp_peer client(*transport_address::parse("127.0.0.1:0"));
  for (int i = 0; i < 60; ++i) client.send_to(binding(), r.at(0));
  int answers = 0;
  while (client.receive(std::chrono::milliseconds(300))) ++answers;
  EXPECT_GE(answers, 32);
  EXPECT_LE(answers, 40);  // the burst plus what 10/s refills meanwhile
  EXPECT_EQ(total(r.srv, counter::dropped_global_limit), static_cast<std::uint64_t>(60 - answers));
}

TEST(Server, WorkerHeartbeatsGateHealth) {
  running r(base_config({"127.0.0.1:0"}));
  EXPECT_TRUE(r.srv.check_workers());  // first call only posts
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(r.srv.check_workers());  // both workers ran their heartbeat
  r.srv.stop();                        // a stuck worker looks like this: the loop no longer turns
  (void)r.srv.check_workers();         // the heartbeat posted before stop() may or may not have run
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(r.srv.check_workers());  // -> /healthz 503, no WATCHDOG=1
}

namespace {

// Sends `per_client` Bindings from each client, interleaved and as fast as
// the loop goes, then expects every answer: the right transaction ID and the
// client's own address in XOR-MAPPED-ADDRESS.
void burst_and_check(std::vector<udp_peer*> clients, const std::vector<transport_address>& to, int per_client) {
  static std::uint32_t serial = 0;  // unique transaction IDs across calls
  std::vector<std::vector<std::vector<std::byte>>> sent(clients.size());
  for (int k = 0; k < per_client; ++k) {
    for (std::size_t c = 0; c < clients.size(); ++c) {
      std::array<std::byte, 12> id{};
      ++serial;
      for (std::size_t b = 0; b < 4; ++b) id[b] = static_cast<std::byte>(serial >> (8 * b));
      std::vector<std::byte> req(64);
      stun::message_writer w(req);
      w.begin(stun::binding_request, id);
      req.resize(w.size());
      sent[c].push_back(std::move(req));
      clients[c]->send_to(sent[c].back(), to[c]);
    }
  }
  for (std::size_t c = 0; c < clients.size(); ++c) {
    std::size_t matched = 0;
    for (int k = 0; k < per_client; ++k) {
      const auto resp = clients[c]->receive();
      ASSERT_TRUE(resp) << "client " << c << " got " << k << " of " << per_client;
      stun::message_view m;
      ASSERT_FALSE(stun::message_view::parse(resp->bytes, m));
      EXPECT_EQ(m.type(), stun::binding_success);
      EXPECT_EQ(address_attr(m, stun::attr::xor_mapped_address), clients[c]->local());
      for (const auto& req : sent[c]) {
        if (std::equal(req.begin() + 8, req.begin() + 20, resp->bytes.begin() + 8)) ++matched;
      }
    }
    EXPECT_EQ(matched, static_cast<std::size_t>(per_client)) << "client " << c;
  }
}

// Waits (up to 5 s) until the workers have made a timed read.
bool polled(const server& s) {
  for (int i = 0; i < 500; ++i) {
    if (s.worker_activity().polls >= 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST(Server, CoalescingPollsUnderLoadAndServesEverySocket) {
  // One worker, two sockets: while the worker polls on its timer it must
  // keep reading both, not only the one whose readiness woke it.
  config c = base_config({"127.0.0.1:0", "[::1]:0"});
  c.workers = 1;
  c.coalesce_us = 10000;  // the widest window: a burst stays a burst on a loaded machine
  running r(c);
  udp_peer v4(*transport_address::parse_ip("127.0.0.1", 0));
  udp_peer v6(*transport_address::parse_ip("::1", 0));
  constexpr int per_client = 40;
  burst_and_check({&v4, &v6}, {r.at(0), r.at(1)}, per_client);
  EXPECT_EQ(total(r.srv, counter::answered), 2U * per_client);
  // The answers can arrive while the worker still sleeps before its first
  // timed read, so wait for that read rather than expect it already done.
  EXPECT_TRUE(polled(r.srv));
  const auto a = r.srv.worker_activity();
  // 80 datagrams sent back to back: unless the sender is preempted for
  // 10 ms between two of them, the second wakeup at the latest finds load
  // and the rest are read by timed polls.
  EXPECT_LT(a.wakeups, 2U * per_client);
}

TEST(Server, CoalescingIsOffByDefaultAndFollowsAReload) {
  config c = base_config({"127.0.0.1:0"});
  c.workers = 1;
  running r(c);
  udp_peer client(*transport_address::parse_ip("127.0.0.1", 0));
  burst_and_check({&client}, {r.at(0)}, 30);
  EXPECT_EQ(r.srv.worker_activity().polls, 0U);  // default coalesce_us = 0
  EXPECT_GE(r.srv.worker_activity().wakeups, 1U);

  c.coalesce_us = 10000;  // the widest window: a burst stays a burst on a loaded machine
  std::string error;
  ASSERT_TRUE(succeeded(r.srv.reload(c), error)) << error;
  burst_and_check({&client}, {r.at(0)}, 30);
  EXPECT_TRUE(polled(r.srv));
  EXPECT_EQ(total(r.srv, counter::answered), 60U);
}
