/* Integration guide, C, library-owned model: the library opens the socket,
 * reads it, and hands media to the datagram callback. Compiled and linked
 * by ctest (capi.snippet_c_library_owned). */
#include <pinhole/pinhole.h>

#include <stdio.h>

/* Library thread: must not block. pinhole_send is fine here. */
static void on_media(void* user, const pinhole_mapping* m, const pinhole_endpoint* from, const uint8_t* data,
                     size_t len) {
  (void)user;
  (void)data;
  printf("%zu bytes from %s:%u on %s:%u\n", len, from->address, from->port, m->internal_address, m->internal_port);
}

int call(const char* stun_server, const char* remote_ip, uint16_t remote_rtp_port) {
  pinhole_errc err;
  pinhole_mapping rtp;
  pinhole_options* o = pinhole_options_new();
  pinhole_options_add_server(o, stun_server);
  pinhole_options_set_keepalive_ms(o, 15000);
  pinhole_options_set_datagram_callback(o, on_media, NULL);
  pinhole_port_manager* pm = pinhole_port_manager_create(o, &err);
  pinhole_options_free(o); /* copied */
  if (pm == NULL) return (int)err;

  /* GetMapping: put rtp.external_address:external_port into the SDP. */
  err = pinhole_get_mapping(pm, remote_ip, PINHOLE_PORT_AUDIO_RTP, &rtp);
  if (err == PINHOLE_OK) {
    static const uint8_t packet[12] = {0x80, 0x00};
    /* Send from the mapped socket, never from another one (KB 826283). */
    pinhole_send(pm, rtp.internal_address, rtp.internal_port, remote_ip, remote_rtp_port, packet, sizeof packet);
    /* ... the call ... then at hang-up: */
    pinhole_release_mapping(pm, rtp.internal_address, rtp.internal_port, rtp.external_address, rtp.external_port);
  }
  pinhole_port_manager_free(pm);
  return (int)err;
}

int main(int argc, char** argv) { return argc == 3 ? call(argv[1], argv[2], 5004) : 2; }
