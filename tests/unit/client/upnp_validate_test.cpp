// upnp_validate: what a hostile or broken IGD may send through libminiupnpc
// (which checks no value) never passes as an address, a port or a lease.
#include "upnp_validate.hpp"

#include <gtest/gtest.h>

#include "pinhole/errors.hpp"

using namespace pinhole;
using namespace pinhole::client::upnp;

namespace {
igd good_igd() {
  igd g;
  g.status = 1;
  g.control_url = "http://198.18.0.1:2869/ctl/IPConn";
  g.service_type = "urn:schemas-upnp-org:service:WANIPConnection:2";
  g.lan_address = "198.18.0.10";
  return g;
}
}  // namespace

TEST(UpnpValidate, ExternalAddressMustBeUnicastIpv4) {
  EXPECT_EQ(parse_external_ip("203.0.113.254")->ip_string(), "203.0.113.254");
  EXPECT_TRUE(parse_external_ip("10.0.0.1"));  // private passes: the STUN check decides
  for (const char* bad : {"", "0.0.0.0", "127.0.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "0.1.2.3",
                          "203.0.113", "203.0.113.254.1", "203.0.113.256", " 203.0.113.1", "203.0.113.1 ",
                          "::ffff:203.0.113.1", "2001:db8::1", "example.com", "1.2.3.4x"}) {
    EXPECT_FALSE(parse_external_ip(bad)) << bad;
  }
}

TEST(UpnpValidate, PortsAreDecimal1To65535) {
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("65535"), 65535);
  for (const char* bad : {"", "0", "65536", "-1", "+5", " 5", "5 ", "0x10", "99999999999", "4e4"}) {
    EXPECT_FALSE(parse_port(bad)) << bad;
  }
}

TEST(UpnpValidate, LeaseIsClampedToAWeek) {
  EXPECT_EQ(parse_lease("0"), 0U);
  EXPECT_EQ(parse_lease("3600"), 3600U);
  EXPECT_EQ(parse_lease("604801"), max_lease);
  EXPECT_EQ(parse_lease("99999999999999999999"), max_lease);  // "unbounded"
  EXPECT_FALSE(parse_lease(""));
  EXPECT_FALSE(parse_lease("-1"));
  EXPECT_FALSE(parse_lease("12s"));
  EXPECT_FALSE(parse_lease("999999999999999999999"));  // longer than any number we read
}

TEST(UpnpValidate, EntryMustBeOursAndEnabled) {
  const auto me = *pinhole::ip_endpoint::parse_ip("198.18.0.10", 0);
  entry e{"198.18.0.10", "40000", "1", "100"};
  EXPECT_TRUE(confirms(e, me, 40000));
  EXPECT_FALSE(confirms(e, me, 40001));  // another internal port
  entry other = e;
  other.internal_client = "198.18.0.11";  // another host's mapping
  EXPECT_FALSE(confirms(other, me, 40000));
  entry disabled = e;
  disabled.enabled = "0";
  EXPECT_FALSE(confirms(disabled, me, 40000));
  entry missing = e;
  missing.enabled = "";
  EXPECT_FALSE(confirms(missing, me, 40000));
  entry garbage = e;
  garbage.internal_port = "40000abc";
  EXPECT_FALSE(confirms(garbage, me, 40000));
}

TEST(UpnpValidate, UsableIgd) {
  EXPECT_TRUE(usable(good_igd()));
  auto g = good_igd();
  g.status = 2;  // "not connected" (libminiupnpc: also a reserved external address)
  EXPECT_TRUE(usable(g));
  g.status = 3;  // a UPnP device, not an IGD
  EXPECT_FALSE(usable(g));
  g = good_igd();
  g.control_url = "https://198.18.0.1/ctl";
  EXPECT_FALSE(usable(g));
  g = good_igd();
  g.service_type = "urn:schemas-upnp-org:service:Layer3Forwarding:1";
  EXPECT_FALSE(usable(g));
  g = good_igd();
  g.lan_address = "fe80::1";
  EXPECT_FALSE(usable(g));
  EXPECT_TRUE(good_igd().v2());
  g = good_igd();
  g.service_type = "urn:schemas-upnp-org:service:WANIPConnection:1";
  EXPECT_FALSE(g.v2());
}

TEST(UpnpValidate, ControlUrlEndpoint) {
  EXPECT_EQ(url_endpoint("http://198.18.0.1:2869/ctl/IPConn")->to_string(), "198.18.0.1:2869");
  EXPECT_EQ(url_endpoint("http://198.18.0.1/ctl")->to_string(), "198.18.0.1:80");
  EXPECT_FALSE(url_endpoint("http://router.lan:80/ctl"));
  EXPECT_FALSE(url_endpoint("http://198.18.0.1:0/"));
  EXPECT_FALSE(url_endpoint("ftp://198.18.0.1/"));
}

TEST(UpnpValidate, Errors) {
  EXPECT_FALSE(to_error(0));
  EXPECT_EQ(to_error(718), errc::server_error);
  EXPECT_EQ(to_error(-3), errc::timeout);
  EXPECT_EQ(to_error(-4), errc::bad_response);
}
