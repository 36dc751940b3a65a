/* pinhole.h must stand alone: it is the first and only include, and every
 * declaration is used, so a missing type or include breaks the build. ctest
 * compiles this file as C99 (-pedantic -Werror) and as C++17. */
#include <pinhole/pinhole.h>

/* C99 has no static_assert: a negative array size fails the build. */
#define PINHOLE_CHECK(name, cond) typedef char pinhole_check_##name[(cond) ? 1 : -1]

/* Layouts existing binaries depend on (libpinhole 0.1): never change. */
PINHOLE_CHECK(mapping_layout, offsetof(pinhole_mapping, internal_port) == 46 &&
                                  offsetof(pinhole_mapping, external_address) == 48 &&
                                  offsetof(pinhole_mapping, native_handle) == 96 && sizeof(pinhole_mapping) == 100);
PINHOLE_CHECK(config_layout, sizeof(pinhole_config) == 2 * sizeof(void*) + 12 + (sizeof(void*) == 8 ? 4 : 0));
PINHOLE_CHECK(stats_size_first, offsetof(pinhole_stats, size) == 0);
PINHOLE_CHECK(event_size_first, offsetof(pinhole_event, size) == 0);
PINHOLE_CHECK(errc_values, PINHOLE_E_DESTINATION_DEPENDENT_MAPPING == 18 && PINHOLE_E_NO_SERVER_RESOLVED == 19 &&
                               PINHOLE_E_OUT_OF_MEMORY == 100);
PINHOLE_CHECK(event_values, PINHOLE_EVENT_MAPPING_CHANGED == 0 && PINHOLE_EVENT_MAPPING_RESTORED == 4 &&
                                PINHOLE_EVENT_NETWORK_CHANGED == 5);
PINHOLE_CHECK(address_len, PINHOLE_ADDRESS_LEN == 46);

static void on_event(void* user, const pinhole_event* ev) {
  (void)user;
  (void)ev->type;
}

static void on_datagram(void* user, const pinhole_mapping* m, const pinhole_endpoint* from, const uint8_t* data,
                        size_t len) {
  (void)user;
  (void)m;
  (void)from;
  (void)data;
  (void)len;
}

int pinhole_header_uses_everything(void);
int pinhole_header_uses_everything(void) {
  pinhole_errc err = PINHOLE_OK;
  pinhole_options* o = pinhole_options_new();
  pinhole_port_manager* pm;
  pinhole_mapping m;
  pinhole_stats st;
  uint16_t lo = 0, hi = 0;
  pinhole_config cfg = {0, 0, 0, 0, 0};
  int n = 0;
  n += pinhole_options_add_server(o, "127.0.0.1:3478");
  n += pinhole_options_clear_servers(o);
  n += pinhole_options_set_use_srv(o, 1);
  n += pinhole_options_set_rto_ms(o, 500);
  n += pinhole_options_set_rc(o, 7);
  n += pinhole_options_set_rm(o, 16);
  n += pinhole_options_set_call_timeout_ms(o, 500);
  n += pinhole_options_set_keepalive_ms(o, 25000);
  n += pinhole_options_set_dns_refresh_ms(o, 0);
  n += pinhole_options_set_port_range(o, PINHOLE_PORT_AUDIO_RTP, 40000, 40999);
  n += pinhole_options_set_rtp_rtcp_pairs(o, 1);
  n += pinhole_options_set_prewarm(o, PINHOLE_PORT_VIDEO_RTP, 2);
  n += pinhole_options_set_bind_ipv4(o, "0.0.0.0");
  n += pinhole_options_set_bind_ipv6(o, "::");
  n += pinhole_options_set_credentials(o, "user", "pass");
  n += pinhole_options_set_fingerprint(o, 1);
  n += pinhole_options_set_check_destination_dependence(o, 1);
  n += pinhole_options_set_event_callback(o, on_event, 0);
  n += pinhole_options_set_datagram_callback(o, on_datagram, 0);
  pm = pinhole_port_manager_create(o, &err);
  pinhole_options_free(o);
  n += pinhole_get_mapping(pm, "192.0.2.1", PINHOLE_PORT_AUDIO_RTCP, &m);
  n += pinhole_update_remote_address(pm, "192.0.2.1", 0, "a", 1, "b", 2);
  n += pinhole_release_mapping(pm, "a", 1, "b", 2);
  n += pinhole_start_listen(pm, "0.0.0.0", 0, &m);
  n += pinhole_stop_listen(pm, "0.0.0.0", 0);
  n += pinhole_get_port_range(pm, PINHOLE_PORT_SIP, &lo, &hi);
  n += pinhole_adopt_socket(pm, -1, PINHOLE_PORT_VIDEO_RTCP, "192.0.2.1", &m);
  n += pinhole_send(pm, "a", 1, "b", 2, "x", 1);
  n += pinhole_attach_socket(pm, 3, PINHOLE_PORT_AUDIO_RTP, "192.0.2.1", &m);
  n += pinhole_handle_datagram(pm, (const struct sockaddr*)0, (const struct sockaddr*)0, "x", 1);
  n += pinhole_detach_socket(pm, "a", 1);
  st.size = sizeof st;
  n += pinhole_get_stats(pm, &st);
  n += (int)pinhole_strerror(err)[0] + (int)pinhole_event_type_name(PINHOLE_EVENT_MAPPING_LOST)[0] +
       (int)pinhole_version()[0] + (int)PINHOLE_EVENT_SERVER_UNREACHABLE + (int)PINHOLE_EVENT_MAPPING_CHANGED +
       (int)PINHOLE_EVENT_SERVER_RECOVERED + (int)PINHOLE_EVENT_MAPPING_RESTORED + (int)st.attached;
  pinhole_port_manager_free(pm);
  pm = pinhole_port_manager_new(&cfg, &err);
  pinhole_port_manager_free(pm);
  return n;
}
