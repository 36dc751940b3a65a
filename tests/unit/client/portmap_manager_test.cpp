// portmap_manager over loopback against a fake PCP/NAT-PMP gateway on the
// same io_context: probe, MAP, renewal at half-life, answers from a host that
// is not the gateway, an unbounded lease, a lost epoch, deletion on release.
#include "portmap_manager.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>
#include <functional>

#include "fake_igd.hpp"
#include "natpmp_codec.hpp"
#include "pcp_codec.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace pinhole::client::portmap;
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// Answers PCP requests (ANNOUNCE and MAP) with `lifetime` and `epoch`, from
// its own socket or, with `spoof`, from another one.
struct fake_gateway {
  asio::io_context& io;
  udp::socket sock{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  udp::socket other{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::array<std::byte, 1500> buf{};
  udp::endpoint from;
  std::uint32_t lifetime = 2;
  std::uint32_t epoch = 100;
  bool spoof = false;
  unsigned maps = 0, deletes = 0;

  explicit fake_gateway(asio::io_context& i) : io(i) { receive(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(sock.local_endpoint().port()); }

  void receive() {
    sock.async_receive_from(asio::buffer(buf), from, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      answer(std::span<const std::byte>(buf.data(), n));
      receive();
    });
  }

  void answer(std::span<const std::byte> req) {
    if (req.size() < pcp_header_size || std::to_integer<unsigned>(req[0]) != 2) return;  // PCP only
    std::vector<std::byte> out(req.begin(), req.end());
    out[1] = std::byte(std::to_integer<unsigned>(req[1]) | 0x80);
    out[2] = out[3] = std::byte{0};
    const bool del = get32(req, 4) == 0;
    put32(out, 4, std::to_integer<unsigned>(req[1]) == pcp_op_map && !del ? lifetime : 0);
    put32(out, 8, epoch);
    for (std::size_t i = 12; i < 24; ++i) out[i] = std::byte{0};
    if (std::to_integer<unsigned>(req[1]) == pcp_op_map) {
      del ? ++deletes : ++maps;
      put16(out, 42, 40000);  // external port; external address 203.0.113.254
      const std::array<unsigned, 16> ext{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 254};
      for (std::size_t i = 0; i < 16; ++i) out[44 + i] = std::byte(ext[i]);
    }
    (spoof ? other : sock).send_to(asio::buffer(out), from);
  }
};

options pcp_only(const fake_gateway& g) {
  options o;
  o.port_mapping = {mapping_origin::pcp};
  o.portmap_gateways = {g.address()};
  o.portmap_timeout = std::chrono::milliseconds(100);
  o.portmap_lifetime = 120;
  return o;
}

const ip_endpoint internal = *ip_endpoint::parse("127.0.0.1:5004");

struct result {
  bool done = false;
  std::error_code ec;
  portmap_lease lease;
};

result map_once(asio::io_context& io, portmap_manager& pm) {
  result r;
  pm.when_probed([&] {
    pm.map(1, internal, std::chrono::steady_clock::now() + std::chrono::seconds(1),
           [&](std::error_code ec, const portmap_lease& l) {
             r.done = true;
             r.ec = ec;
             r.lease = l;
           });
  });
  for (int i = 0; i < 200 && !r.done; ++i) io.run_for(std::chrono::milliseconds(10));
  return r;
}

}  // namespace

TEST(PortmapManager, MapsRenewsAndDeletes) {
  asio::io_context io;
  fake_gateway gw(io);
  portmap_manager pm(io, pcp_only(gw), nullptr);
  const auto r = map_once(io, pm);
  ASSERT_TRUE(r.done);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(pm.offers(ip_family::v4));
  EXPECT_EQ(r.lease.origin, mapping_origin::pcp);
  EXPECT_EQ(r.lease.external.to_string(), "203.0.113.254:40000");
  EXPECT_EQ(r.lease.lifetime, 2U);  // the gateway's grant, not the 120 s asked for
  // Renewed at half-life (1 s).
  for (int i = 0; i < 300 && pm.renewals() == 0; ++i) io.run_for(std::chrono::milliseconds(10));
  EXPECT_GE(pm.renewals(), 1U);
  EXPECT_EQ(gw.maps, 2U);
  pm.release(1);
  for (int i = 0; i < 100 && gw.deletes == 0; ++i) io.run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(gw.deletes, 1U);
  EXPECT_EQ(pm.leases(), 0U);
}

TEST(PortmapManager, IgnoresAnswersFromAnotherHost) {
  asio::io_context io;
  fake_gateway gw(io);
  gw.spoof = true;
  portmap_manager pm(io, pcp_only(gw), nullptr);
  result r;
  pm.when_probed([&] { r.done = true; });
  for (int i = 0; i < 100 && !r.done; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(r.done);  // the probe round ended (timed out)
  EXPECT_FALSE(pm.offers(ip_family::v4));
}

TEST(PortmapManager, UnboundedLeaseIsRenewedDaily) {
  asio::io_context io;
  fake_gateway gw(io);
  gw.lifetime = 0xFFFFFFFFU;
  portmap_manager pm(io, pcp_only(gw), nullptr);
  const auto r = map_once(io, pm);
  ASSERT_FALSE(r.ec);
  const auto left = std::chrono::duration_cast<std::chrono::hours>(r.lease.end - std::chrono::system_clock::now());
  EXPECT_LE(left.count(), 24);
  EXPECT_GE(left.count(), 23);
}

TEST(PortmapManager, EpochGoingBackRecreatesOtherLeases) {
  asio::io_context io;
  fake_gateway gw(io);
  gw.lifetime = 60;
  portmap_manager pm(io, pcp_only(gw), nullptr);
  ASSERT_FALSE(map_once(io, pm).ec);
  result second;
  pm.map(2, *ip_endpoint::parse("127.0.0.1:5006"), std::chrono::steady_clock::now() + std::chrono::seconds(1),
         [&](std::error_code ec, const portmap_lease&) { second.done = true, second.ec = ec; });
  for (int i = 0; i < 100 && !second.done; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(second.ec);
  gw.epoch = 3;  // the gateway restarted
  pm.reprobe();  // its ANNOUNCE answer shows the loss; the next MAP answer too
  result third;
  pm.when_probed([&] {
    pm.map(3, *ip_endpoint::parse("127.0.0.1:5008"), std::chrono::steady_clock::now() + std::chrono::seconds(1),
           [&](std::error_code ec, const portmap_lease&) { third.done = true, third.ec = ec; });
  });
  for (int i = 0; i < 100 && !third.done; ++i) io.run_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 50 && gw.maps < 5; ++i) io.run_for(std::chrono::milliseconds(10));
  EXPECT_GE(pm.recreations(), 1U);
  EXPECT_GE(gw.maps, 4U);  // 3 new mappings + at least one re-created
}

// UPnP-IGD beside PCP: probed in the same round, tried in the listed order,
// its lease deleted on release and at shutdown.
TEST(PortmapManager, UpnpInTheListedOrder) {
  asio::io_context io;
  fake_gateway gw(io);
  auto igd = std::make_shared<pinhole::client::testing::fake_igd>();
  auto o = pcp_only(gw);
  o.port_mapping = {mapping_origin::upnp, mapping_origin::pcp};
  {
    portmap_manager pm(io, o, nullptr, igd);
    const auto r = map_once(io, pm);
    ASSERT_TRUE(r.done);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.lease.origin, mapping_origin::upnp);  // first in the list
    EXPECT_EQ(r.lease.external.to_string(), "203.0.113.254:5004");
    EXPECT_EQ(pm.leases(), 1U);
    ASSERT_NE(pm.upnp(), nullptr);
    EXPECT_EQ(pm.upnp()->gateway()->to_string(), "127.0.0.1:2869");
    EXPECT_EQ(igd->size(), 1U);
    pm.release(1);
    for (int i = 0; i < 100 && igd->size() != 0; ++i) io.run_for(std::chrono::milliseconds(10));
    EXPECT_EQ(igd->size(), 0U);
    EXPECT_EQ(gw.maps, 0U);  // PCP never asked
    // Another mapping, left for the destructor to delete.
    const auto again = map_once(io, pm);
    ASSERT_FALSE(again.ec);
    EXPECT_EQ(igd->size(), 1U);
  }
  EXPECT_EQ(igd->size(), 0U);
  // No IGD: PCP, next in the list, makes the mapping.
  auto none = std::make_shared<pinhole::client::testing::fake_igd>();
  none->present = false;
  portmap_manager pm(io, o, nullptr, none);
  const auto r = map_once(io, pm);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.lease.origin, mapping_origin::pcp);
}
