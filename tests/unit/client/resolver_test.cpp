// SRV answer parsing (RFC 1035 wire format, RFC 2782 ordering) and
// getaddrinfo on "localhost". No network: SRV bytes are built here.
#include "resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace pinhole;
using namespace pinhole::client;

namespace {

struct dns_builder {
  std::vector<std::uint8_t> m;
  void u16(unsigned v) {
    m.push_back(static_cast<std::uint8_t>(v >> 8U));
    m.push_back(static_cast<std::uint8_t>(v & 0xFFU));
  }
  void name(const std::string& n) {
    std::size_t start = 0;
    while (start < n.size()) {
      const auto dot = n.find('.', start);
      const auto label = n.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      m.push_back(static_cast<std::uint8_t>(label.size()));
      m.insert(m.end(), label.begin(), label.end());
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    m.push_back(0);
  }
  void pointer(unsigned offset) { u16(0xC000U | offset); }
};

// A response to "_stun._udp.example.org SRV" with two SRV answers (one using
// a compression pointer into the question), an A record and a "." target.
std::vector<std::uint8_t> sample_response() {
  dns_builder b;
  b.u16(0x1234);
  b.u16(0x8180);
  b.u16(1);  // QD
  b.u16(4);  // AN
  b.u16(0);
  b.u16(0);
  b.name("_stun._udp.example.org");  // offset 12
  b.u16(33);
  b.u16(1);
  auto srv = [&](unsigned prio, unsigned weight, unsigned port, auto&& target) {
    b.pointer(12);
    b.u16(33);
    b.u16(1);
    b.u16(0);
    b.u16(300);
    dns_builder rd;
    rd.u16(prio);
    rd.u16(weight);
    rd.u16(port);
    target(rd);
    b.u16(static_cast<unsigned>(rd.m.size()));
    b.m.insert(b.m.end(), rd.m.begin(), rd.m.end());
  };
  srv(10, 60, 3478, [](dns_builder& rd) { rd.name("stun1.example.org"); });
  // "stun2" + pointer to "example.org" inside the question (offset 12 + 11).
  srv(5, 0, 3479, [](dns_builder& rd) {
    rd.m.push_back(5);
    for (char c : std::string("stun2")) rd.m.push_back(static_cast<std::uint8_t>(c));
    rd.pointer(23);
  });
  b.pointer(12);  // an A record: skipped
  b.u16(1);
  b.u16(1);
  b.u16(0);
  b.u16(300);
  b.u16(4);
  for (int i = 0; i < 4; ++i) b.m.push_back(1);
  srv(1, 0, 1, [](dns_builder& rd) { rd.m.push_back(0); });  // "." = not available
  return b.m;
}

}  // namespace

TEST(SrvParse, ReadsRecordsWithCompression) {
  std::vector<srv_record> out;
  ASSERT_FALSE(parse_srv_response(sample_response(), out));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0], (srv_record{10, 60, 3478, "stun1.example.org"}));
  EXPECT_EQ(out[1], (srv_record{5, 0, 3479, "stun2.example.org"}));
}

TEST(SrvParse, TruncatedMessagesFail) {
  const auto full = sample_response();
  std::vector<srv_record> out;
  for (std::size_t n = 0; n + 1 < full.size(); n += 3) {
    const std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(parse_srv_response(cut, out)) << "length " << n;
  }
}

TEST(SrvParse, CompressionLoopsFail) {
  dns_builder b;
  b.u16(1);
  b.u16(0x8180);
  b.u16(1);
  b.u16(0);
  b.u16(0);
  b.u16(0);
  b.pointer(12);  // points at itself
  b.u16(33);
  b.u16(1);
  std::vector<srv_record> out;
  EXPECT_TRUE(parse_srv_response(b.m, out));
}

TEST(SrvOrder, LowestPriorityFirstThenWeighted) {
  std::vector<srv_record> in{{20, 0, 1, "c"}, {10, 1, 2, "a"}, {10, 99, 3, "b"}};
  // pick() returning its maximum selects by running sum: with weights 1 and
  // 99 a target of 100 lands on "b"; a target of 0 lands on the first.
  const auto high = order_srv(in, [](std::uint32_t n) { return n - 1; });
  ASSERT_EQ(high.size(), 3U);
  EXPECT_EQ(high[0].target, "b");
  EXPECT_EQ(high[1].target, "a");
  EXPECT_EQ(high[2].target, "c");
  const auto low = order_srv(in, [](std::uint32_t) { return 0U; });
  EXPECT_EQ(low[0].target, "a");
  EXPECT_EQ(low[2].target, "c");
}

TEST(SrvOrder, ZeroWeightsComeFirstWithinPriority) {
  std::vector<srv_record> in{{1, 5, 1, "w5"}, {1, 0, 2, "w0"}};
  const auto out = order_srv(in, [](std::uint32_t) { return 0U; });
  EXPECT_EQ(out[0].target, "w0");
}

TEST(SystemResolver, ResolvesLocalhost) {
  system_resolver dns;
  std::vector<ip_endpoint> out;
  ASSERT_FALSE(dns.host("localhost", 3478, out));
  ASSERT_FALSE(out.empty());
  const bool loopback = std::all_of(out.begin(), out.end(), [](const ip_endpoint& e) { return e.is_loopback(); });
  EXPECT_TRUE(loopback);
  EXPECT_EQ(out.front().port, 3478);
}

TEST(SystemResolver, UnknownNameFails) {
  system_resolver dns;
  std::vector<ip_endpoint> out;
  EXPECT_TRUE(dns.host("no-such-host.invalid", 3478, out));
  EXPECT_TRUE(out.empty());
}
