// pinhole_options_* (c_options.cpp): every setter reaches pinhole::options,
// refused values change nothing, and the C callbacks are wired to the C++
// handlers with their user pointers.
#include "c_options.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "pinhole/errors.hpp"

#include <string>
#include <vector>

using namespace pinhole;

namespace {

struct options_ptr {
  pinhole_options* p = pinhole_options_new();
  ~options_ptr() { pinhole_options_free(p); }
  options cxx() const { return c_api::to_cxx(*p); }
};

}  // namespace

TEST(COptions, DefaultsAreThoseOfPinholeOptions) {
  options_ptr o;
  ASSERT_NE(o.p, nullptr);
  const options d;
  const auto c = o.cxx();
  EXPECT_EQ(c.servers, d.servers);
  EXPECT_EQ(c.use_srv, d.use_srv);
  EXPECT_EQ(c.transaction.rto, d.transaction.rto);
  EXPECT_EQ(c.transaction.rc, 7U);
  EXPECT_EQ(c.transaction.rm, 16U);
  EXPECT_EQ(c.call_timeout, d.call_timeout);
  EXPECT_EQ(c.keepalive_interval, d.keepalive_interval);
  EXPECT_EQ(c.dns_refresh, d.dns_refresh);
  EXPECT_FALSE(c.auth.has_value());
  EXPECT_TRUE(c.fingerprint);
  EXPECT_TRUE(c.check_destination_dependence);
  EXPECT_TRUE(c.monitor_network);
  EXPECT_FALSE(c.skip_keepalive_on_traffic);
  EXPECT_EQ(c.explicit_keepalive_interval, d.explicit_keepalive_interval);
  EXPECT_FALSE(c.on_event);
  EXPECT_FALSE(c.on_datagram);
}

TEST(COptions, EverySetterReachesTheCxxOptions) {
  options_ptr o;
  ASSERT_EQ(pinhole_options_add_server(o.p, "192.0.2.1:3478"), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_add_server(o.p, "stun.example.invalid"), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_use_srv(o.p, 0), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_rto_ms(o.p, 120), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_rc(o.p, 3), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_rm(o.p, 4), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_call_timeout_ms(o.p, 900), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_keepalive_ms(o.p, 15000), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_dns_refresh_ms(o.p, 0), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_port_range(o.p, PINHOLE_PORT_VIDEO_RTP, 41000, 41999), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_rtp_rtcp_pairs(o.p, 1), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_prewarm(o.p, PINHOLE_PORT_AUDIO_RTP, 3), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_bind_ipv4(o.p, "198.18.0.10"), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_bind_ipv6(o.p, "[2001:db8::10]"), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_credentials(o.p, "alice", "secret"), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_fingerprint(o.p, 0), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_check_destination_dependence(o.p, 0), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_monitor_network(o.p, 0), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_skip_keepalive_on_traffic(o.p, 1), PINHOLE_OK);
  EXPECT_EQ(pinhole_options_set_explicit_keepalive_ms(o.p, 600000), PINHOLE_OK);
  const auto c = o.cxx();
  EXPECT_EQ(c.servers, (std::vector<std::string>{"192.0.2.1:3478", "stun.example.invalid"}));
  EXPECT_FALSE(c.use_srv);
  EXPECT_EQ(c.transaction.rto, std::chrono::milliseconds(120));
  EXPECT_EQ(c.transaction.rc, 3U);
  EXPECT_EQ(c.transaction.rm, 4U);
  EXPECT_EQ(c.call_timeout, std::chrono::milliseconds(900));
  EXPECT_EQ(c.keepalive_interval, std::chrono::milliseconds(15000));
  EXPECT_EQ(c.dns_refresh, std::chrono::milliseconds(0));
  EXPECT_EQ(c.port_ranges[static_cast<std::size_t>(port_type::video_rtp)], (port_range{41000, 41999}));
  EXPECT_TRUE(c.port_ranges[static_cast<std::size_t>(port_type::audio_rtp)].any());
  EXPECT_TRUE(c.rtp_rtcp_pairs);
  EXPECT_EQ(c.prewarm[static_cast<std::size_t>(port_type::audio_rtp)], 3U);
  EXPECT_EQ(c.bind_ipv4, "198.18.0.10");
  EXPECT_EQ(c.bind_ipv6, "2001:db8::10");
  ASSERT_TRUE(c.auth.has_value());
  EXPECT_EQ(c.auth->username, "alice");
  EXPECT_EQ(c.auth->password, "secret");
  EXPECT_FALSE(c.fingerprint);
  EXPECT_FALSE(c.check_destination_dependence);
  EXPECT_FALSE(c.monitor_network);
  EXPECT_TRUE(c.skip_keepalive_on_traffic);
  EXPECT_EQ(c.explicit_keepalive_interval, std::chrono::milliseconds(600000));
  EXPECT_EQ(pinhole_options_set_credentials(o.p, nullptr, nullptr), PINHOLE_OK);
  EXPECT_FALSE(o.cxx().auth.has_value());
  EXPECT_EQ(pinhole_options_clear_servers(o.p), PINHOLE_OK);
  EXPECT_TRUE(o.cxx().servers.empty());
}

TEST(COptions, RefusedValuesChangeNothing) {
  options_ptr o;
  const auto before = o.cxx();
  EXPECT_EQ(pinhole_options_add_server(o.p, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_add_server(o.p, ""), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_rto_ms(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_rc(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_rm(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_call_timeout_ms(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_keepalive_ms(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_explicit_keepalive_ms(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_port_range(o.p, PINHOLE_PORT_SIP, 5070, 5060), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_port_range(o.p, PINHOLE_PORT_SIP, 0, 5060), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_port_range(o.p, static_cast<pinhole_port_type>(5), 1, 2), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_prewarm(o.p, static_cast<pinhole_port_type>(7), 1), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_bind_ipv4(o.p, "::1"), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_bind_ipv4(o.p, "not an address"), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_bind_ipv6(o.p, "127.0.0.1"), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_bind_ipv6(o.p, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_credentials(o.p, "user", nullptr), PINHOLE_E_INVALID_ARGUMENT);
  const auto after = o.cxx();
  EXPECT_EQ(after.servers, before.servers);
  EXPECT_EQ(after.transaction.rto, before.transaction.rto);
  EXPECT_EQ(after.transaction.rc, before.transaction.rc);
  EXPECT_EQ(after.transaction.rm, before.transaction.rm);
  EXPECT_EQ(after.call_timeout, before.call_timeout);
  EXPECT_EQ(after.keepalive_interval, before.keepalive_interval);
  EXPECT_EQ(after.explicit_keepalive_interval, before.explicit_keepalive_interval);
  EXPECT_EQ(after.port_ranges, before.port_ranges);
  EXPECT_EQ(after.bind_ipv4, before.bind_ipv4);
  EXPECT_EQ(after.bind_ipv6, before.bind_ipv6);
  EXPECT_FALSE(after.auth.has_value());
  // A NULL object is refused by every setter.
  EXPECT_EQ(pinhole_options_add_server(nullptr, "192.0.2.1"), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_keepalive_ms(nullptr, 1), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_options_set_event_callback(nullptr, nullptr, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  pinhole_options_free(nullptr);
}

namespace {
struct seen {
  int events = 0;
  pinhole_event last_event{};
  int datagrams = 0;
  pinhole_mapping mapping{};
  pinhole_endpoint from{};
  std::vector<std::uint8_t> data;
};
}  // namespace

TEST(COptions, CallbacksGetTheirUserPointerAndPlainStructs) {
  options_ptr o;
  seen s;
  ASSERT_EQ(pinhole_options_set_event_callback(
                o.p,
                [](void* user, const pinhole_event* ev) {
                  auto* t = static_cast<seen*>(user);
                  t->events++;
                  t->last_event = *ev;
                },
                &s),
            PINHOLE_OK);
  ASSERT_EQ(
      pinhole_options_set_datagram_callback(
          o.p,
          [](void* user, const pinhole_mapping* m, const pinhole_endpoint* from, const uint8_t* data, size_t len) {
            auto* t = static_cast<seen*>(user);
            t->datagrams++;
            t->mapping = *m;
            t->from = *from;
            t->data.assign(data, data + len);
          },
          &s),
      PINHOLE_OK);
  const auto c = o.cxx();
  ASSERT_TRUE(c.on_event);
  ASSERT_TRUE(c.on_datagram);
  mapping m;
  m.type = port_type::video_rtcp;
  m.internal = *ip_endpoint::parse("198.18.0.10:40001");
  m.external = *ip_endpoint::parse("203.0.113.254:61001");
  m.native_handle = 7;
  const std::byte payload[] = {std::byte{0x80}, std::byte{0x00}, std::byte{0x12}};
  c.on_datagram(m, *ip_endpoint::parse("[2001:db8::20]:5004"), payload);
  EXPECT_EQ(s.datagrams, 1);
  EXPECT_STREQ(s.mapping.internal_address, "198.18.0.10");
  EXPECT_EQ(s.mapping.internal_port, 40001);
  EXPECT_STREQ(s.mapping.external_address, "203.0.113.254");
  EXPECT_EQ(s.mapping.external_port, 61001);
  EXPECT_EQ(s.mapping.native_handle, 7);
  EXPECT_STREQ(s.from.address, "2001:db8::20");
  EXPECT_EQ(s.from.port, 5004);
  EXPECT_EQ(s.data, (std::vector<std::uint8_t>{0x80, 0x00, 0x12}));

  event e;
  e.type = event_type::mapping_changed;
  e.current = m;
  e.previous_external = *ip_endpoint::parse("203.0.113.254:40001");
  e.server = *ip_endpoint::parse("203.0.113.1:3478");
  c.on_event(e);
  EXPECT_EQ(s.events, 1);
  EXPECT_EQ(s.last_event.size, sizeof(pinhole_event));
  EXPECT_EQ(s.last_event.type, PINHOLE_EVENT_MAPPING_CHANGED);
  EXPECT_EQ(s.last_event.port_type, PINHOLE_PORT_VIDEO_RTCP);
  EXPECT_EQ(s.last_event.mapping.external_port, 61001);
  EXPECT_STREQ(s.last_event.previous_external.address, "203.0.113.254");
  EXPECT_EQ(s.last_event.previous_external.port, 40001);
  EXPECT_STREQ(s.last_event.server.address, "203.0.113.1");
  EXPECT_EQ(s.last_event.error, PINHOLE_OK);

  e.type = event_type::server_unreachable;
  e.current = mapping{};
  e.error = std::make_error_code(std::errc::connection_refused);
  c.on_event(e);
  EXPECT_EQ(s.last_event.type, PINHOLE_EVENT_SERVER_UNREACHABLE);
  EXPECT_EQ(s.last_event.error, PINHOLE_E_SOCKET_ERROR);
  EXPECT_EQ(s.last_event.system_error, ECONNREFUSED);
  EXPECT_STREQ(s.last_event.mapping.external_address, "");  // unset
  e.error = make_error_code(errc::timeout);
  c.on_event(e);
  EXPECT_EQ(s.last_event.error, PINHOLE_E_TIMEOUT);
  EXPECT_EQ(s.last_event.system_error, 0);

  // Removing a callback: the C++ handler is empty again.
  ASSERT_EQ(pinhole_options_set_datagram_callback(o.p, nullptr, &s), PINHOLE_OK);
  EXPECT_FALSE(o.cxx().on_datagram);
}

// Port mapping: every protocol, UPnP-IGD included, can be listed in any
// order or left out; UPnP's timeout has its own setter.
TEST(COptions, PortMappingOrderAndUpnpTimeout) {
  options_ptr o;
  const pinhole_mapping_origin order[] = {PINHOLE_ORIGIN_UPNP, PINHOLE_ORIGIN_PCP};
  EXPECT_EQ(pinhole_options_set_port_mapping(o.p, order, 2), PINHOLE_OK);
  EXPECT_EQ(o.cxx().port_mapping, (std::vector<mapping_origin>{mapping_origin::upnp, mapping_origin::pcp}));
  const pinhole_mapping_origin only_upnp[] = {PINHOLE_ORIGIN_UPNP};
  EXPECT_EQ(pinhole_options_set_port_mapping(o.p, only_upnp, 1), PINHOLE_OK);
  EXPECT_EQ(o.cxx().port_mapping, (std::vector<mapping_origin>{mapping_origin::upnp}));
  const pinhole_mapping_origin bad[] = {PINHOLE_ORIGIN_TURN};
  EXPECT_EQ(pinhole_options_set_port_mapping(o.p, bad, 1), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(o.cxx().portmap_upnp_timeout, std::chrono::milliseconds(250));  // the default
  EXPECT_EQ(pinhole_options_set_portmap_upnp_timeout_ms(o.p, 300), PINHOLE_OK);
  EXPECT_EQ(o.cxx().portmap_upnp_timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(pinhole_options_set_portmap_upnp_timeout_ms(o.p, 0), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(o.cxx().portmap_upnp_timeout, std::chrono::milliseconds(300));
  EXPECT_EQ(pinhole_options_set_portmap_upnp_timeout_ms(nullptr, 300), PINHOLE_E_INVALID_ARGUMENT);
}
