// libpinhole against a malicious STUN server, over real loopback sockets.
// A scripted responder built from the codec answers each Binding request with
// forged replies (wrong transaction ID, wrong source IP or port, oversized,
// an IPv6 mapping to an IPv4 socket, 0.0.0.0:0, reflected requests,
// indications, classic-format IDs, bad FINGERPRINT), optionally followed by
// the correct reply. The library must never report a forged mapping: it
// ignores the forgery and accepts the correct reply that follows, or fails
// the call when nothing correct comes. NAT discovery must not take a bogus
// OTHER-ADDRESS (the primary itself, the response origin, another family,
// unspecified) as an alternate server.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "client_support.hpp"
#include "pinhole/nat.hpp"
#include "pinhole/port_manager.hpp"

using namespace pinhole;
using namespace std::chrono_literals;
using test::ep;

namespace {

using bytes = std::vector<std::byte>;
using txid = std::array<std::byte, 12>;
const ip_endpoint lie = ep("198.51.100.66:6666");

// One reply: the bytes, and which of the server's sockets sends them.
struct reply {
  enum class via { main, other_port, other_ip } from = via::main;
  bytes data;
};
using script = std::function<std::vector<reply>(const txid& id, const ip_endpoint& client)>;

bytes success(const txid& id, const ip_endpoint& mapped, std::size_t capacity = 512,
              const std::function<void(stun::message_writer&)>& more = {}) {
  bytes out(capacity);
  stun::message_writer w(out);
  w.begin(stun::binding_success, std::span<const std::byte, 12>(id));
  w.add_xor_address(stun::attr::xor_mapped_address, client::to_stun(mapped));
  if (more) more(w);
  w.add_fingerprint();
  EXPECT_FALSE(w.error());
  out.resize(w.size());
  return out;
}

// Forgeries: each must be ignored (never become a mapping).
std::vector<std::pair<const char*, script>> forgeries() {
  std::vector<std::pair<const char*, script>> f;
  f.emplace_back("wrong transaction ID", [](const txid& id, const ip_endpoint&) {
    txid other = id;
    other[11] ^= std::byte{1};
    return std::vector<reply>{{reply::via::main, success(other, lie)}};
  });
  f.emplace_back("wrong source port", [](const txid& id, const ip_endpoint&) {
    return std::vector<reply>{{reply::via::other_port, success(id, lie)}};
  });
  f.emplace_back("wrong source IP", [](const txid& id, const ip_endpoint&) {
    return std::vector<reply>{{reply::via::other_ip, success(id, lie)}};
  });
  f.emplace_back("oversized, trailing bytes", [](const txid& id, const ip_endpoint&) {
    auto d = success(id, lie);
    d.resize(65507, std::byte{0});
    return std::vector<reply>{{reply::via::main, d}};
  });
  f.emplace_back("IPv6 mapping to an IPv4 socket", [](const txid& id, const ip_endpoint&) {
    return std::vector<reply>{{reply::via::main, success(id, ep("[2001:db8::66]:6666"))}};
  });
  f.emplace_back("unspecified mapping", [](const txid& id, const ip_endpoint&) {
    return std::vector<reply>{{reply::via::main, success(id, ep("0.0.0.0:0"))}};
  });
  f.emplace_back("bad FINGERPRINT", [](const txid& id, const ip_endpoint&) {
    auto d = success(id, lie);
    d.back() ^= std::byte{1};
    return std::vector<reply>{{reply::via::main, d}};
  });
  f.emplace_back("reflected request and indication", [](const txid& id, const ip_endpoint&) {
    std::vector<reply> r;
    for (const auto type : {stun::binding_request, stun::binding_indication}) {
      bytes d(64);
      stun::message_writer w(d);
      w.begin(type, std::span<const std::byte, 12>(id))
          .add_xor_address(stun::attr::xor_mapped_address, client::to_stun(lie));
      d.resize(w.size());
      r.push_back({reply::via::main, d});
    }
    return r;
  });
  f.emplace_back("classic 128-bit ID", [](const txid& id, const ip_endpoint&) {
    std::array<std::byte, 16> cid{};
    std::copy(id.begin(), id.end(), cid.begin() + 4);
    bytes d(64);
    stun::message_writer w(d);
    w.begin(stun::binding_success, std::span<const std::byte, 16>(cid))
        .add_address(stun::attr::mapped_address, client::to_stun(lie));
    d.resize(w.size());
    return std::vector<reply>{{reply::via::main, d}};
  });
  return f;
}

// A STUN responder that runs `script` for every Binding request.
class scripted_server {
 public:
  scripted_server()
      : main_("127.0.0.1:0"),
        other_port_("127.0.0.1:0"),
        other_ip_("127.0.0.2:" + std::to_string(main_.local().port)),
        thread_([this] { loop(); }) {}
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;
  ~scripted_server() {
    stop_ = true;
    thread_.join();
  }
  ip_endpoint address() const { return main_.local(); }
  bool ok() const { return main_.ok() && other_port_.ok() && other_ip_.ok(); }
  void set(script s) {
    std::lock_guard lk(m_);
    script_ = std::move(s);
  }
  int requests() const { return requests_; }

 private:
  void loop() {
    std::vector<std::byte> buf(2048);
    while (!stop_) {
      pollfd p{main_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const auto r = client::receive_udp(main_.fd(), buf);
      if (r.kind != client::received::datagram) continue;
      stun::message_view m;
      if (stun::message_view::parse(std::span<const std::byte>(buf).first(r.size), m)) continue;
      if (m.type() != stun::binding_request) continue;
      ++requests_;
      txid id{};
      std::copy(m.transaction_id().begin(), m.transaction_id().end(), id.begin());
      script s;
      {
        std::lock_guard lk(m_);
        s = script_;
      }
      if (!s) continue;
      for (const auto& rep : s(id, r.peer)) {
        const auto& sock = rep.from == reply::via::main         ? main_
                           : rep.from == reply::via::other_port ? other_port_
                                                                : other_ip_;
        sock.send_to(rep.data, r.peer);
      }
    }
  }

  test::udp_socket main_, other_port_, other_ip_;
  std::mutex m_;
  script script_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::unique_ptr<port_manager> manager_for(const scripted_server& srv, std::chrono::milliseconds budget = 1500ms) {
  options o;
  o.servers = {srv.address().to_string()};
  o.call_timeout = budget;
  o.transaction.rto = 100ms;
  o.keepalive_interval = 60s;
  std::error_code ec;
  auto pm = port_manager::create(std::move(o), ec);
  EXPECT_TRUE(pm) << ec.message();
  return pm;
}

}  // namespace

TEST(HostileServer, ForgeryThenCorrectReplyGivesTheCorrectMapping) {
  for (const auto& [name, forge] : forgeries()) {
    SCOPED_TRACE(name);
    scripted_server srv;
    ASSERT_TRUE(srv.ok());
    srv.set([&forge = forge](const txid& id, const ip_endpoint& client) {
      auto r = forge(id, client);
      r.push_back({reply::via::main, success(id, client)});
      return r;
    });
    auto pm = manager_for(srv);
    ASSERT_TRUE(pm);
    mapping m;
    ASSERT_FALSE(pm->get_mapping(ep("127.0.0.1:5060"), port_type::sip, m));
    EXPECT_EQ(m.external, m.internal);
    EXPECT_NE(m.external, lie);
    EXPECT_EQ(m.server, srv.address());
  }
}

TEST(HostileServer, ForgeryAloneNeverBecomesAMapping) {
  for (const auto& [name, forge] : forgeries()) {
    SCOPED_TRACE(name);
    scripted_server srv;
    ASSERT_TRUE(srv.ok());
    srv.set(forge);
    auto pm = manager_for(srv, 700ms);
    ASSERT_TRUE(pm);
    mapping m;
    const auto ec = pm->get_mapping(ep("127.0.0.1:5060"), port_type::sip, m);
    EXPECT_TRUE(ec == errc::timeout || ec == errc::bad_response) << ec.message();
    EXPECT_EQ(pm->stats().responses_ok, 0U);
    EXPECT_GE(srv.requests(), 1);
  }
}

TEST(HostileServer, OversizedValidReplyIsEitherCorrectOrAnError) {
  // A 65504-byte reply (PADDING) carrying the right mapping: accepting it is
  // allowed, reporting anything but the right mapping is not.
  scripted_server srv;
  ASSERT_TRUE(srv.ok());
  srv.set([](const txid& id, const ip_endpoint& client) {
    auto d = success(id, client, 65535, [](stun::message_writer& w) { w.add_padding(65504 - 20 - 12 - 4 - 8); });
    EXPECT_EQ(d.size(), 65504U);
    return std::vector<reply>{{reply::via::main, d}};
  });
  auto pm = manager_for(srv, 700ms);
  ASSERT_TRUE(pm);
  mapping m;
  if (!pm->get_mapping(ep("127.0.0.1:5060"), port_type::sip, m)) {
    EXPECT_EQ(m.external, m.internal);
  }
}

TEST(HostileServer, ManyForgeriesInABurstBeforeTheAnswer) {
  scripted_server srv;
  ASSERT_TRUE(srv.ok());
  srv.set([](const txid& id, const ip_endpoint& client) {
    std::vector<reply> r;
    for (int i = 0; i < 50; ++i) {
      for (const auto& [name, forge] : forgeries()) {
        auto more = forge(id, client);
        r.insert(r.end(), more.begin(), more.end());
      }
    }
    r.push_back({reply::via::main, success(id, client)});
    return r;
  });
  auto pm = manager_for(srv, 3000ms);
  ASSERT_TRUE(pm);
  mapping m;
  const auto ec = pm->get_mapping(ep("127.0.0.1:5060"), port_type::sip, m);
  // The socket buffer may drop some of the burst (then the retransmission is
  // answered by another burst); a mapping, if reported, is the right one.
  if (!ec) {
    EXPECT_EQ(m.external, m.internal);
  } else {
    EXPECT_TRUE(ec == errc::timeout || ec == errc::bad_response) << ec.message();
  }
}

TEST(HostileServer, BogusOtherAddressIsNoAlternate) {
  const std::vector<std::pair<const char*, std::function<ip_endpoint(const ip_endpoint&)>>> bogus{
      {"the primary itself", [](const ip_endpoint& primary) { return primary; }},
      {"IPv6 to an IPv4 client", [](const ip_endpoint&) { return ep("[::1]:3479"); }},
      {"unspecified", [](const ip_endpoint&) { return ep("0.0.0.0:0"); }},
      {"the response origin", [](const ip_endpoint&) { return ep("127.0.0.9:4000"); }},
  };
  for (const auto& [name, other] : bogus) {
    SCOPED_TRACE(name);
    scripted_server srv;
    ASSERT_TRUE(srv.ok());
    const auto primary = srv.address();
    srv.set([&other = other, primary](const txid& id, const ip_endpoint& client) {
      return std::vector<reply>{{reply::via::main, success(id, client, 512, [&](stun::message_writer& w) {
                                   w.add_address(stun::attr::mapped_address, client::to_stun(client));
                                   w.add_address(stun::attr::response_origin, client::to_stun(ep("127.0.0.9:4000")));
                                   w.add_address(stun::attr::other_address, client::to_stun(other(primary)));
                                 })}};
    });
    discovery_options o;
    o.server = primary.to_string();
    o.local = "127.0.0.1:0";
    o.timeout = 500ms;
    o.transaction.rto = 100ms;
    nat_report r;
    const auto ec = discover_nat(o, r);
    EXPECT_TRUE(!ec || ec == errc::no_alternate_server) << ec.message();
    EXPECT_FALSE(r.other) << r.other->to_string();
    EXPECT_EQ(r.mapping, nat_mapping::unknown);
    EXPECT_EQ(r.filtering, nat_filtering::unknown);
    if (!ec) {
      EXPECT_EQ(r.mapped, r.local);
    }
  }
}
