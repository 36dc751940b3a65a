/* A binary built against libpinhole 0.1's pinhole.h (a verbatim copy in
 * tests/capi/v0.1/) runs against today's libpinhole.so.0: the deprecated
 * pinhole_config / pinhole_port_manager_new and the 0.1 structs keep their
 * layout and meaning.
 *   old_binary SERVER_IP:PORT    (a live pinholed on loopback) */
#include <pinhole/pinhole.h>

#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                     \
  do {                                                  \
    if (!(cond)) {                                      \
      fprintf(stderr, "old_binary: FAIL: %s\n", #cond); \
      return 1;                                         \
    }                                                   \
  } while (0)

int main(int argc, char** argv) {
  const char* servers[1];
  pinhole_config cfg;
  pinhole_errc err = PINHOLE_E_SOCKET_ERROR;
  pinhole_port_manager* pm;
  pinhole_mapping m;
  uint16_t lo = 1, hi = 1;
  if (argc != 2) return 2;
  servers[0] = argv[1];
  memset(&cfg, 0, sizeof cfg);
  cfg.servers = servers;
  cfg.server_count = 1;
  cfg.keepalive_ms = 1000;
  pm = pinhole_port_manager_new(&cfg, &err);
  CHECK(pm != NULL && err == PINHOLE_OK);
  memset(&m, 0x55, sizeof m);
  err = pinhole_get_mapping(pm, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m);
  printf("old_binary: get_mapping %s: %s:%u -> %s:%u fd %d\n", pinhole_strerror(err), m.internal_address,
         m.internal_port, m.external_address, m.external_port, m.native_handle);
  CHECK(err == PINHOLE_OK);
  CHECK(strcmp(m.internal_address, "127.0.0.1") == 0 && strcmp(m.external_address, "127.0.0.1") == 0);
  CHECK(m.internal_port != 0 && m.external_port == m.internal_port && m.native_handle >= 0);
  CHECK(pinhole_update_remote_address(pm, "127.0.0.1", 9, m.internal_address, m.internal_port, m.external_address,
                                      m.external_port) == PINHOLE_OK);
  CHECK(pinhole_get_port_range(pm, PINHOLE_PORT_SIP, &lo, &hi) == PINHOLE_OK && lo == 0 && hi == 0);
  CHECK(pinhole_release_mapping(pm, m.internal_address, m.internal_port, m.external_address, m.external_port) ==
        PINHOLE_OK);
  CHECK(pinhole_release_mapping(pm, m.internal_address, m.internal_port, m.external_address, m.external_port) ==
        PINHOLE_E_UNKNOWN_MAPPING);
  CHECK(strcmp(pinhole_strerror(PINHOLE_OK), "success") == 0);
  pinhole_port_manager_free(pm);
  printf("old_binary: PASS\n");
  return 0;
}
