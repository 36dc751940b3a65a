// RFC 3489 names derived from RFC 5780 behaviour.
#include "pinhole/nat.hpp"

#include <gtest/gtest.h>

using namespace pinhole;

TEST(Classify, NoAnswerMeansUdpBlocked) {
  EXPECT_EQ(classify(false, true, nat_mapping::unknown, nat_filtering::unknown), classic_nat::udp_blocked);
}

TEST(Classify, NotBehindNat) {
  EXPECT_EQ(classify(true, false, nat_mapping::endpoint_independent, nat_filtering::endpoint_independent),
            classic_nat::open_internet);
  EXPECT_EQ(classify(true, false, nat_mapping::endpoint_independent, nat_filtering::address_dependent),
            classic_nat::symmetric_udp_firewall);
  EXPECT_EQ(classify(true, false, nat_mapping::unknown, nat_filtering::unknown), classic_nat::unknown);
}

TEST(Classify, ConesAndSymmetric) {
  const auto eim = nat_mapping::endpoint_independent;
  EXPECT_EQ(classify(true, true, eim, nat_filtering::endpoint_independent), classic_nat::full_cone);
  EXPECT_EQ(classify(true, true, eim, nat_filtering::address_dependent), classic_nat::restricted_cone);
  EXPECT_EQ(classify(true, true, eim, nat_filtering::address_and_port_dependent), classic_nat::port_restricted_cone);
  EXPECT_EQ(classify(true, true, eim, nat_filtering::unknown), classic_nat::unknown);
  EXPECT_EQ(classify(true, true, nat_mapping::address_dependent, nat_filtering::endpoint_independent),
            classic_nat::symmetric);
  EXPECT_EQ(classify(true, true, nat_mapping::address_and_port_dependent, nat_filtering::unknown),
            classic_nat::symmetric);
  EXPECT_EQ(classify(true, true, nat_mapping::unknown, nat_filtering::endpoint_independent), classic_nat::unknown);
}

TEST(NatNames, AreStable) {
  EXPECT_STREQ(to_string(nat_mapping::endpoint_independent), "endpoint-independent");
  EXPECT_STREQ(to_string(nat_filtering::address_and_port_dependent), "address-and-port-dependent");
  EXPECT_STREQ(to_string(tristate::yes), "yes");
  EXPECT_STREQ(to_string(classic_nat::port_restricted_cone), "port-restricted cone");
  EXPECT_STREQ(to_string(classic_nat::open_internet), "open internet");
  EXPECT_STREQ(to_string(classic_nat::udp_blocked), "UDP blocked");
}
