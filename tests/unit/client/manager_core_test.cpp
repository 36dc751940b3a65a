// manager_core driven in-process: GetMapping, UpdateRemoteAddress,
// ReleaseMapping, adopt/attach/detach and shutdown against a STUN responder
// on loopback; the state each call leaves is read back through stats().
#include "manager_core.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;
using fake = fake_stun_server::mode;

namespace {

using ManagerCore = CoreTest;

TEST_F(ManagerCore, GetMappingAsksTheServerAndHandsTheMappingOut) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.server, server.address());
  EXPECT_EQ(a.m.external, a.m.internal);  // loopback: no NAT
  EXPECT_FALSE(a.m.behind_nat);
  EXPECT_GE(a.m.native_handle, 0);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(core->stats().mappings, 1U);
  EXPECT_TRUE(core->directory().contains(a.m.internal));
}

TEST_F(ManagerCore, ReleaseForgetsTheMappingOnce) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec);
  EXPECT_FALSE(core->release(a.m.internal, a.m.external));
  EXPECT_EQ(core->stats().mappings, 0U);
  EXPECT_FALSE(core->directory().contains(a.m.internal));
  EXPECT_EQ(core->release(a.m.internal, a.m.external), errc::unknown_mapping);
}

TEST_F(ManagerCore, ReleaseNeedsAnExternalAddressTheMappingHad) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec);
  EXPECT_EQ(core->release(a.m.internal, ep("127.0.0.9:9")), errc::unknown_mapping);
  EXPECT_EQ(core->stats().mappings, 1U);
  EXPECT_FALSE(core->release(a.m.internal, ep("0.0.0.0:0")));  // "any"
}

TEST_F(ManagerCore, ASilentServerTimesOutAndLeavesNothingBehind) {
  server.set_mode(fake::silent);
  start();
  const auto a = call([&](auto d, auto done) { core->get_mapping(ep("127.0.0.1:40000"), port_type::sip, d, done); },
                      std::chrono::milliseconds(300));
  EXPECT_EQ(a.ec, errc::timeout);
  EXPECT_EQ(core->stats().mappings, 0U);
}

TEST_F(ManagerCore, RepliesThatFailValidationAreBadResponseNotAMapping) {
  server.set_mode(fake::bad_fingerprint);
  start();
  const auto a = call([&](auto d, auto done) { core->get_mapping(ep("127.0.0.1:40000"), port_type::sip, d, done); },
                      std::chrono::milliseconds(300));
  EXPECT_EQ(a.ec, errc::bad_response);
  EXPECT_EQ(core->stats().mappings, 0U);
}

TEST_F(ManagerCore, NoServerOfTheFamilyIsFamilyNotSupported) {
  start();
  EXPECT_EQ(get(port_type::sip, ep("[::1]:40000")).ec, errc::family_not_supported);
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(ManagerCore, UpdateRemoteRechecksAndAcceptsAFormerExternalAddress) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec);
  // The NAT rebinds: the re-check of UpdateRemoteAddress sees a new address.
  server.set_lie(ep("198.51.100.7:4444"));
  server.set_mode(fake::lie);
  const auto u =
      call([&](auto d, auto done) { core->update_remote(ep("127.0.0.1:40001"), a.m.internal, a.m.external, d, done); });
  ASSERT_FALSE(u.ec) << u.ec.message();
  EXPECT_EQ(u.m.external, ep("198.51.100.7:4444"));
  ASSERT_EQ(count(event_type::mapping_changed), 1U);
  EXPECT_EQ(events.back().previous_external, a.m.external);
  // The application may still name it by the address it had.
  const auto again =
      call([&](auto d, auto done) { core->update_remote(ep("127.0.0.1:40002"), a.m.internal, a.m.external, d, done); });
  EXPECT_FALSE(again.ec);
  EXPECT_EQ(call([&](auto d, auto done) {
              core->update_remote(ep("127.0.0.1:40002"), a.m.internal, ep("127.0.0.9:9"), d, done);
            }).ec,
            errc::unknown_mapping);
}

TEST_F(ManagerCore, UpdateRemoteAnswersAtItsDeadlineWhileTheRecheckGoesOn) {
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec);
  server.set_mode(fake::silent);
  const auto u =
      call([&](auto d, auto done) { core->update_remote(ep("127.0.0.1:40001"), a.m.internal, a.m.external, d, done); },
           std::chrono::milliseconds(100));
  EXPECT_FALSE(u.ec);  // the mapping as it stands
  EXPECT_EQ(u.m.external, a.m.external);
  EXPECT_EQ(count(event_type::mapping_lost), 0U);  // not yet: the check has its own budget
  EXPECT_TRUE(run_until([&] { return count(event_type::mapping_lost) == 1; }));
}

TEST_F(ManagerCore, AdoptTakesTheDescriptorAndMapsIt) {
  start();
  std::error_code ec;
  const int fd = client::open_udp(ip_family::v4, ec);
  ASSERT_GE(fd, 0);
  ASSERT_FALSE(client::bind_udp(fd, ep("127.0.0.1:0")));
  const auto a =
      call([&](auto d, auto done) { core->adopt(fd, port_type::audio_rtp, ep("127.0.0.1:40000"), d, done); });
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(a.m.native_handle, fd);
  EXPECT_EQ(a.m.type, port_type::audio_rtp);
  EXPECT_EQ(core->stats().mappings, 1U);
  EXPECT_EQ(core->stats().attached, 0U);
  EXPECT_EQ(core->detach(a.m.internal), errc::invalid_argument);  // library-owned: released, not detached
  EXPECT_FALSE(core->release(a.m.internal, a.m.external));
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed with the mapping
}

TEST_F(ManagerCore, AttachMapsAnApplicationSocketAndDetachLeavesItOpen) {
  start();
  udp_socket app;
  ASSERT_TRUE(app.ok());
  pump = [&] { read_attached(app); };
  const auto a =
      call([&](auto d, auto done) { core->attach(app.fd(), port_type::video_rtp, ep("127.0.0.1:40000"), d, done); });
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(core->stats().attached, 1U);
  EXPECT_EQ(core->stats().mappings, 1U);
  // Attached twice: refused.
  EXPECT_EQ(
      call([&](auto d, auto done) { core->attach(app.fd(), port_type::video_rtp, ep("127.0.0.1:40000"), d, done); }).ec,
      errc::address_in_use);
  EXPECT_FALSE(core->detach(a.m.internal));
  EXPECT_EQ(core->stats().attached, 0U);
  EXPECT_EQ(core->stats().mappings, 0U);
  EXPECT_NE(::fcntl(app.fd(), F_GETFD), -1);  // still the application's
  EXPECT_EQ(core->detach(a.m.internal), errc::unknown_mapping);
}

TEST_F(ManagerCore, AttachRefusesAnUnboundOrStreamSocket) {
  start();
  const int unbound = ::socket(AF_INET, SOCK_DGRAM, 0);
  const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(call([&](auto d, auto done) { core->attach(unbound, port_type::sip, ep("127.0.0.1:40000"), d, done); }).ec,
            errc::invalid_argument);
  EXPECT_EQ(call([&](auto d, auto done) { core->attach(tcp, port_type::sip, ep("127.0.0.1:40000"), d, done); }).ec,
            errc::invalid_argument);
  ::close(unbound);
  ::close(tcp);
}

TEST_F(ManagerCore, ShutdownReleasesEverythingAndRefusesNewWork) {
  start();
  ASSERT_FALSE(get().ec);
  ASSERT_FALSE(get().ec);
  EXPECT_EQ(core->stats().mappings, 2U);
  core->shutdown();
  EXPECT_EQ(core->stats().mappings, 0U);
  EXPECT_EQ(get().ec, errc::shutting_down);
}

}  // namespace
