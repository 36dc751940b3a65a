// A manager_core on the test's own io_context, talking to scriptable STUN
// responders (fake_stun_server, its own thread) over loopback sockets. The
// test thread runs the loop; every call waits for its done callback.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

// client_support.hpp names the daemon binary for its pinholed helper, which
// these tests do not use.
#ifndef PINHOLED_PATH
#define PINHOLED_PATH "/nonexistent/pinholed"
#endif
#include "../../integration/client_support.hpp"
#include "manager_core.hpp"
#include "stun_demux.hpp"

namespace pinhole::test {

struct answer {
  std::error_code ec;
  mapping m;
};

class CoreTest : public ::testing::Test {
 protected:
  using clock = std::chrono::steady_clock;

  CoreTest() {
    opts.transaction.rto = std::chrono::milliseconds(40);
    opts.transaction.rc = 3;
    opts.transaction.rm = 2;
    opts.call_timeout = std::chrono::milliseconds(1500);
    opts.keepalive_interval = std::chrono::hours(1);  // checks run when a test asks (recheck_all)
    opts.bind_ipv4 = "127.0.0.1";
    // No PCP, NAT-PMP or SSDP to the host's real default gateway: these
    // tests talk to loopback only (port mapping has its own tests, unit and netns).
    opts.port_mapping.clear();
    opts.on_event = [this](const event& e) { events.push_back(e); };
  }
  ~CoreTest() override {
    pump = nullptr;  // what it read may be gone
    if (core) {
      core->shutdown();
      run_for(std::chrono::milliseconds(20));
    }
  }

  void start(std::vector<ip_endpoint> servers) {
    core = std::make_unique<client::manager_core>(io, opts, std::move(servers));
    core->start_prewarm();
  }
  void start() { start({server.address()}); }

  void run_for(std::chrono::milliseconds d) {
    if (io.stopped()) io.restart();
    io.run_for(d);
    if (pump) pump();
  }
  // The application's side of an attached socket: reads what arrived and
  // gives the manager the answers to its own transactions (deliver()).
  void read_attached(const udp_socket& app) {
    std::vector<std::byte> buf(2048);
    pollfd p{app.fd(), POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
      const auto r = client::receive_udp(app.fd(), buf);
      if (r.kind != client::received::datagram) return;
      const auto data = std::span<const std::byte>(buf).first(r.size);
      const auto id = client::stun_transaction_id(data);
      std::uint64_t owner = 0;
      if (id && core->attached_txids().find(*id, app.local(), &owner) == client::txid_registry::match::pending) {
        core->deliver(owner, r.peer, data);
      }
    }
  }
  // Runs the loop until `done()` or 5 s.
  template <class Pred>
  bool run_until(Pred done) {
    const auto end = clock::now() + std::chrono::seconds(5);
    while (!done() && clock::now() < end) run_for(std::chrono::milliseconds(5));
    return done();
  }

  // Calls `op(deadline, done)` and waits for its answer.
  template <class Op>
  answer call(Op op, std::chrono::milliseconds budget = std::chrono::milliseconds(1500)) {
    std::optional<answer> got;
    op(clock::now() + budget, [&got](std::error_code ec, const mapping& m) { got = answer{ec, m}; });
    EXPECT_TRUE(run_until([&] { return got.has_value(); })) << "no answer";
    return got.value_or(answer{make_error_code(errc::timeout), {}});
  }
  answer get(port_type type = port_type::sip, const ip_endpoint& remote = ep("127.0.0.1:40000")) {
    return call([&](auto deadline, auto done) { core->get_mapping(remote, type, deadline, std::move(done)); });
  }
  answer listen(const ip_endpoint& internal) {
    return call([&](auto deadline, auto done) { core->start_listen(internal, deadline, std::move(done)); });
  }
  std::size_t count(event_type t) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.type == t ? 1U : 0U;
    return n;
  }

  boost::asio::io_context io;
  fake_stun_server server;
  options opts;
  std::unique_ptr<client::manager_core> core;
  std::vector<event> events;
  std::function<void()> pump;  // run after every turn of the loop
};

}  // namespace pinhole::test
