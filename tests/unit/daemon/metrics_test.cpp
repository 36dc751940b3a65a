// Prometheus rendering: names, labels, histogram shape, and a sample of a
// real in-process server.
#include "metrics.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "outcome_util.hpp"
#include "server.hpp"
#include "stun/writer.hpp"
#include "udp_peer.hpp"
#include "udp_socket.hpp"
#include "worker.hpp"

using namespace pinhole::daemon;

namespace {

std::uint64_t& at(counter_values& v, counter c) { return v[static_cast<std::size_t>(c)]; }

metrics_sample example() {
  metrics_sample m;
  listener_sample l;
  l.name = "0.0.0.0:3478";
  l.family = "ipv4";
  l.role = "single";
  at(l.values, counter::received) = 10;
  at(l.values, counter::answered) = 6;
  at(l.values, counter::error_400) = 1;
  at(l.values, counter::error_420) = 1;
  at(l.values, counter::dropped_rate_limited) = 2;
  m.listeners.push_back(l);
  l.name = "[::]:3478";
  l.family = "ipv6";
  l.values = {};
  at(l.values, counter::dropped_acl) = 3;
  m.listeners.push_back(l);
  latency_histogram h;
  h.observe(3000, 4);
  m.latency.add(h);
  m.workers = 2;
  m.wakeups = 7;
  m.polls = 3;
  m.uptime_seconds = 12.5;
  m.reloads_ok = 1;
  return m;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

}  // namespace

TEST(Metrics, RequestsByResultFamilyAndListener) {
  const std::string t = render_prometheus(example());
  EXPECT_TRUE(has_line(t, "# TYPE pinholed_requests_total counter"));
  EXPECT_TRUE(has_line(
      t, R"(pinholed_requests_total{listener="0.0.0.0:3478",family="ipv4",role="single",result="answered"} 6)"));
  EXPECT_TRUE(has_line(
      t, R"(pinholed_requests_total{listener="0.0.0.0:3478",family="ipv4",role="single",result="error_4xx"} 2)"));
  EXPECT_TRUE(has_line(
      t,
      R"(pinholed_requests_total{listener="0.0.0.0:3478",family="ipv4",role="single",result="dropped_rate_limited"} 2)"));
  EXPECT_TRUE(has_line(
      t, R"(pinholed_requests_total{listener="[::]:3478",family="ipv6",role="single",result="dropped_acl"} 3)"));
  EXPECT_TRUE(has_line(
      t, R"(pinholed_error_responses_total{listener="0.0.0.0:3478",family="ipv4",role="single",code="420"} 1)"));
  EXPECT_TRUE(
      has_line(t, R"(pinholed_received_datagrams_total{listener="0.0.0.0:3478",family="ipv4",role="single"} 10)"));
}

TEST(Metrics, HistogramUptimeBuildInfo) {
  const std::string t = render_prometheus(example());
  EXPECT_TRUE(has_line(t, "# TYPE pinholed_request_duration_seconds histogram"));
  EXPECT_TRUE(has_line(t, R"(pinholed_request_duration_seconds_bucket{le="1e-06"} 0)"));
  EXPECT_TRUE(has_line(t, R"(pinholed_request_duration_seconds_bucket{le="5e-06"} 4)"));
  EXPECT_TRUE(has_line(t, R"(pinholed_request_duration_seconds_bucket{le="+Inf"} 4)"));
  EXPECT_TRUE(has_line(t, "pinholed_request_duration_seconds_count 4"));
  EXPECT_TRUE(has_line(t, "pinholed_request_duration_seconds_sum 1.2e-05"));
  EXPECT_TRUE(has_line(t, "pinholed_uptime_seconds 12.5"));
  EXPECT_TRUE(has_line(t, "# TYPE pinholed_worker_wakeups_total counter"));
  EXPECT_TRUE(has_line(t, "pinholed_worker_wakeups_total 7"));
  EXPECT_TRUE(has_line(t, "pinholed_coalesce_polls_total 3"));
  EXPECT_NE(t.find("pinholed_build_info{version=\""), std::string::npos);
  EXPECT_TRUE(has_line(t, R"(pinholed_config_reloads_total{result="ok"} 1)"));
  EXPECT_TRUE(has_line(t, "pinholed_workers 2"));
}

TEST(Metrics, DrainingAndTheHttpServer) {
  metrics_sample m = example();
  EXPECT_TRUE(has_line(render_prometheus(m), "pinholed_draining 0"));
  m.draining = true;
  m.http_open = 4;
  m.http_accepted = 90;
  m.http_evicted = 70;
  m.http_timed_out = 5;
  m.http_accept_paused = 2;
  at(m.listeners[0].values, counter::dropped_draining) = 8;
  const std::string t = render_prometheus(m);
  EXPECT_TRUE(has_line(t, "# TYPE pinholed_draining gauge"));
  EXPECT_TRUE(has_line(t, "pinholed_draining 1"));
  EXPECT_TRUE(has_line(
      t,
      R"(pinholed_requests_total{listener="0.0.0.0:3478",family="ipv4",role="single",result="dropped_draining"} 8)"));
  EXPECT_TRUE(has_line(t, "pinholed_http_open_connections 4"));
  EXPECT_TRUE(has_line(t, "pinholed_http_connections_accepted_total 90"));
  EXPECT_TRUE(has_line(t, "pinholed_http_connections_evicted_total 70"));
  EXPECT_TRUE(has_line(t, "pinholed_http_connections_timed_out_total 5"));
  EXPECT_TRUE(has_line(t, "# TYPE pinholed_http_accept_paused_total counter"));
  EXPECT_TRUE(has_line(t, "pinholed_http_accept_paused_total 2"));
}

TEST(Metrics, EveryLineIsWellFormed) {
  const std::string t = render_prometheus(example());
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) {
    ASSERT_FALSE(l.empty());
    if (l[0] == '#') {
      EXPECT_TRUE(l.rfind("# HELP pinholed_", 0) == 0 || l.rfind("# TYPE pinholed_", 0) == 0) << l;
      continue;
    }
    EXPECT_EQ(l.rfind("pinholed_", 0), 0U) << l;
    const auto sp = l.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << l;
    EXPECT_NE(l.substr(sp + 1).find_first_of("0123456789"), std::string::npos) << l;
  }
}

TEST(Metrics, LabelEscaping) {
  EXPECT_EQ(escape_label(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label("x\ny"), "x\\ny");
}

TEST(Metrics, SampleOfARealServer) {
  config c = default_config();
  c.listen.clear();
  listen_spec l;
  ASSERT_TRUE(parse_listen("127.0.0.1:0", l));
  c.listen.push_back(l);
  ASSERT_TRUE(parse_listen("[::1]:0", l));
  c.listen.push_back(l);
  c.workers = 1;
  c.rate_limit.per_ip_rate = 10;
  c.allow = {"127.0.0.0/8"};
  server s(c);
  std::string error;
  ASSERT_TRUE(succeeded(s.bind(), error)) << error;
  const metrics_sample m = sample(s);
  ASSERT_EQ(m.listeners.size(), 2U);
  EXPECT_EQ(m.listeners[0].family, "ipv4");
  EXPECT_EQ(m.listeners[1].family, "ipv6");
  EXPECT_EQ(m.workers, 1U);
  EXPECT_EQ(m.limiter_slots, 65536U);
  EXPECT_EQ(m.acl_prefixes, 1U);
  EXPECT_FALSE(m.socket_activated);
}

// A real worker whose socket cannot send (shut down for writing): one
// request answered, then two whose responses fail. requests_total counts
// each datagram once, the failed ones as result="send_failed", so the
// results add up to received_datagrams_total.
TEST(Metrics, FailedSendsAreOneResultOfRequestsTotal) {
  using pinhole::stun::transport_address;
  state_ref state;
  state.store(make_runtime_state(default_config(), {}));
  listener where;
  int fd = -1;
  ASSERT_FALSE(open_udp_socket(*transport_address::parse("127.0.0.1:0"), {}, fd, where.bound));
  where.name = where.bound.to_string();
  counter_block block;
  worker w(0, state, 8);
  w.add_socket(fd, where, block);
  pinhole::test::udp_peer client(*transport_address::parse("127.0.0.1:0"));
  const auto request = [](std::uint8_t tag) {
    std::vector<std::byte> buf(64);
    std::array<std::byte, 12> id{};
    id[0] = std::byte{tag};
    pinhole::stun::message_writer mw(buf);
    mw.begin(pinhole::stun::binding_request, id);
    buf.resize(mw.size());
    return buf;
  };
  const auto drain = [&](std::size_t n) {
    std::size_t read = 0;
    for (int k = 0; k < 200 && read < n; ++k) {
      read += w.drain(0);
      if (read < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return read;
  };
  client.send_to(request(1), where.bound);
  ASSERT_EQ(drain(1), 1U);
  (void)::shutdown(fd, SHUT_WR);
  client.send_to(request(2), where.bound);
  client.send_to(request(3), where.bound);
  ASSERT_EQ(drain(2), 2U);

  metrics_sample m;
  listener_sample l;
  l.name = where.name;
  l.family = "ipv4";
  l.role = "single";
  for (std::size_t i = 0; i < counter_count; ++i) l.values[i] = block.get(static_cast<counter>(i));
  m.listeners.push_back(l);
  const std::string t = render_prometheus(m);
  const std::string labels = "{listener=\"" + where.name + "\",family=\"ipv4\",role=\"single\"";
  EXPECT_TRUE(has_line(t, "pinholed_requests_total" + labels + ",result=\"answered\"} 1")) << t;
  EXPECT_TRUE(has_line(t, "pinholed_requests_total" + labels + ",result=\"send_failed\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "pinholed_send_failures_total" + labels + "} 2")) << t;
  EXPECT_TRUE(has_line(t, "pinholed_received_datagrams_total" + labels + "} 3")) << t;
  std::uint64_t sum = 0;
  std::istringstream in(t);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("pinholed_requests_total{", 0) == 0) sum += std::stoull(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_EQ(sum, 3U);
}
