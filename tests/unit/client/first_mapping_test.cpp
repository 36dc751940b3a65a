// The first mapping of a new slot (first_mapping.cpp): the RFC 5780
// destination-dependence check and the answers when it cannot be made.
#include "core_harness.hpp"
#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::test;
using fake = fake_stun_server::mode;

namespace {

using FirstMapping = CoreTest;

TEST_F(FirstMapping, BehindAConeNatTheCheckAtTheOtherAddressPasses) {
  server.set_mode(fake::behind_cone);
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_FALSE(a.m.destination_dependent);
  EXPECT_EQ(server.other_requests(), 1);
  EXPECT_EQ(core->stats().mappings, 1U);
}

TEST_F(FirstMapping, BehindASymmetricNatTheMappingIsRefusedButShown) {
  server.set_mode(fake::behind_symmetric);
  start();
  const auto a = get();
  EXPECT_EQ(a.ec, errc::destination_dependent_mapping);
  EXPECT_TRUE(a.m.destination_dependent);
  EXPECT_NE(a.m.external.port, 0);  // what the server saw, for the application's log
  EXPECT_EQ(core->stats().mappings, 0U);
}

TEST_F(FirstMapping, TheCheckCanBeSwitchedOff) {
  server.set_mode(fake::behind_symmetric);
  opts.check_destination_dependence = false;
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_EQ(server.other_requests(), 0);
}

TEST_F(FirstMapping, AnOtherAddressNamingTheServerItselfIsNoAlternateToCheck) {
  server.set_mode(fake::other_is_primary);
  start();
  const auto a = get();
  ASSERT_FALSE(a.ec) << a.ec.message();
  EXPECT_FALSE(a.m.destination_dependent);
  EXPECT_EQ(server.requests(), 1);  // no second request to the same address
}

TEST_F(FirstMapping, NoServerResolvedYetIsItsOwnError) {
  start({});
  EXPECT_EQ(get().ec, errc::no_server_resolved);
}

}  // namespace
