// upnp_client against a fake IGD behind the upnp::backend seam (its calls
// come from the client's worker thread): discovery, AddPortMapping with the
// same port, AddAnyPortMapping (IGDv2) or another port (IGDv1) on a
// conflict, 725 OnlyPermanentLeasesSupported, the confirmation by
// GetSpecificPortMappingEntry, hostile answers, renewal at half-life,
// deletion on release and at shutdown, a slow IGD.
#include "upnp_client.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "fake_igd.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::client;
using namespace std::chrono_literals;
using pinhole::client::testing::fake_igd;

namespace {

struct harness {
  boost::asio::io_context io;
  std::shared_ptr<fake_igd> igd = std::make_shared<fake_igd>();
  std::vector<std::pair<std::error_code, portmap_lease>> changes;
  std::unique_ptr<upnp_client> c;

  explicit harness(std::uint32_t lifetime = 3600, std::chrono::milliseconds timeout = 500ms) {
    c = std::make_unique<upnp_client>(
        io, igd, upnp_client::settings{timeout, lifetime},
        [this](std::uint64_t, std::error_code ec, const portmap_lease& l) { changes.emplace_back(ec, l); });
  }
  // Runs the io_context until `pred` or `limit`.
  template <typename P>
  bool run_until(P pred, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) {
      io.run_for(10ms);
      io.restart();
    }
    return pred();
  }
  bool probe() {
    bool done = false;
    c->probe([&] { done = true; });
    return run_until([&] { return done; });
  }
  std::pair<std::error_code, portmap_lease> map(std::uint64_t key = 1, std::uint16_t port = 5004) {
    std::optional<std::pair<std::error_code, portmap_lease>> r;
    c->map(key, *ip_endpoint::parse_ip("127.0.0.1", port), std::chrono::steady_clock::now() + 2s,
           [&](std::error_code ec, const portmap_lease& l) { r.emplace(ec, l); });
    run_until([&] { return r.has_value(); });
    return r.value_or(std::make_pair(make_error_code(errc::socket_error), portmap_lease{}));
  }
};

}  // namespace

TEST(UpnpClient, ProbeFindsTheIgdAndItsAddress) {
  harness h;
  ASSERT_TRUE(h.probe());
  EXPECT_TRUE(h.c->offers(ip_family::v4));
  EXPECT_FALSE(h.c->offers(ip_family::v6));  // WANIPConnection maps IPv4 only
  EXPECT_EQ(h.c->external()->ip_string(), "203.0.113.254");
  EXPECT_EQ(h.c->gateway()->to_string(), "127.0.0.1:2869");
}

TEST(UpnpClient, NoIgdOrAHostileAddressOffersNothing) {
  harness none;
  none.igd->present = false;
  ASSERT_TRUE(none.probe());
  EXPECT_FALSE(none.c->offers(ip_family::v4));
  EXPECT_NE(none.c->why_not().find("no IGD"), std::string::npos);
  for (const char* bad : {"0.0.0.0", "not-an-ip", "", "224.1.1.1", "2001:db8::1"}) {
    harness h;
    h.igd->external = bad;
    ASSERT_TRUE(h.probe());
    EXPECT_FALSE(h.c->offers(ip_family::v4)) << bad;
    EXPECT_EQ(h.map().first, errc::timeout) << bad;  // nothing offered: never asked
  }
}

TEST(UpnpClient, MapsTheSamePortAndConfirmsIt) {
  harness h;
  ASSERT_TRUE(h.probe());
  const auto [ec, l] = h.map();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(l.origin, mapping_origin::upnp);
  EXPECT_EQ(l.external.to_string(), "203.0.113.254:5004");
  EXPECT_EQ(l.internal.to_string(), "127.0.0.1:5004");
  EXPECT_EQ(l.lifetime, 3600U);
  EXPECT_GT(l.end, std::chrono::system_clock::now() + 3500s);
  EXPECT_EQ(h.igd->size(), 1U);
  EXPECT_TRUE(h.c->holds(1));
  h.c->release(1);
  EXPECT_TRUE(h.run_until([&] { return h.igd->size() == 0; }));  // DeletePortMapping
  EXPECT_EQ(h.c->leases(), 0U);
}

TEST(UpnpClient, ConflictUsesAddAnyPortMappingOnIgdV2) {
  harness h;
  h.igd->taken = {5004, 5005};
  ASSERT_TRUE(h.probe());
  const auto [ec, l] = h.map();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(l.external.port, 5006);
}

TEST(UpnpClient, ConflictTriesAnotherPortOnIgdV1) {
  harness h;
  h.igd->v2 = false;
  h.igd->taken = {5004};
  ASSERT_TRUE(h.probe());
  const auto [ec, l] = h.map();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_NE(l.external.port, 5004);
  EXPECT_GE(l.external.port, 1024);
}

TEST(UpnpClient, OnlyPermanentLeasesGivePermanentMappingDeletedOnRelease) {
  harness h;
  h.igd->only_permanent = true;
  ASSERT_TRUE(h.probe());
  const auto [ec, l] = h.map();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(l.lifetime, 0U);  // permanent
  EXPECT_EQ(h.igd->table.begin()->second.second, 0U);
  h.c->release(1);
  EXPECT_TRUE(h.run_until([&] { return h.igd->size() == 0; }));
}

TEST(UpnpClient, UnconfirmedOrPortlessMappingIsRefused) {
  harness other;
  other.igd->client_override = "127.0.0.2";  // the entry names another host
  ASSERT_TRUE(other.probe());
  EXPECT_EQ(other.map().first, errc::bad_response);
  EXPECT_EQ(other.igd->removes, 0U);  // not ours: never deleted
  harness zero;
  zero.igd->taken = {5004};
  zero.igd->reserved_override = "0";  // AddAnyPortMapping "reserved" port 0
  ASSERT_TRUE(zero.probe());
  EXPECT_EQ(zero.map().first, errc::bad_response);
}

TEST(UpnpClient, AddressGoneBadAfterMappingDeletesIt) {
  harness h;
  ASSERT_TRUE(h.probe());
  {
    std::lock_guard<std::mutex> lock(h.igd->m);
    h.igd->external = "0.0.0.0";  // the IGD lost its WAN address meanwhile
  }
  EXPECT_EQ(h.map().first, errc::bad_response);
  EXPECT_EQ(h.igd->size(), 0U);  // ours, confirmed, useless: deleted
}

TEST(UpnpClient, SocketOnAnotherAddressIsNotMapped) {
  harness h;
  ASSERT_TRUE(h.probe());
  std::optional<std::error_code> r;
  h.c->map(1, *ip_endpoint::parse_ip("127.0.0.9", 5004), std::chrono::steady_clock::now() + 1s,
           [&](std::error_code ec, const portmap_lease&) { r = ec; });
  EXPECT_EQ(r, make_error_code(errc::invalid_argument));
}

TEST(UpnpClient, RenewsAtHalfLife) {
  harness h(2);  // a 2 s lease: renewed after ~1 s
  ASSERT_TRUE(h.probe());
  ASSERT_FALSE(h.map().first);
  const auto adds = h.igd->adds;
  EXPECT_TRUE(h.run_until([&] { return h.c->renewals() >= 2; }, 4000ms));
  EXPECT_GE(h.igd->adds, adds + 2);
  ASSERT_FALSE(h.changes.empty());
  EXPECT_FALSE(h.changes.back().first);
  EXPECT_EQ(h.changes.back().second.external.port, 5004);
}

TEST(UpnpClient, ShutdownDeletesEveryMapping) {
  harness h;
  ASSERT_TRUE(h.probe());
  ASSERT_FALSE(h.map(1, 5004).first);
  ASSERT_FALSE(h.map(2, 5006).first);
  EXPECT_EQ(h.igd->size(), 2U);
  h.c->shutdown(1000ms);
  EXPECT_EQ(h.igd->size(), 0U);  // done before shutdown returned
  EXPECT_EQ(h.map().first, errc::shutting_down);
}

TEST(UpnpClient, SlowIgdDoesNotHoldTheProbeRound) {
  harness h(3600, 200ms);
  h.igd->discover_takes = 600ms;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(h.probe());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 550ms);  // done at the bound, not at the answer
  EXPECT_FALSE(h.c->offers(ip_family::v4));
  EXPECT_TRUE(h.run_until([&] { return h.c->offers(ip_family::v4); }));  // cached when it comes
}

TEST(UpnpClient, DestructionWhileTheWorkerIsBlockedIsSafe) {
  auto h = std::make_unique<harness>(3600, 100ms);
  h->igd->discover_takes = 400ms;
  h->c->probe([] {});
  h->io.run_for(20ms);
  h.reset();  // the worker is detached, its result dropped
  std::this_thread::sleep_for(500ms);
}
