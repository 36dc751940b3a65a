/* Uses the C ABI of an installed libpinhole. */
#include <pinhole/pinhole.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* servers[] = {argv[1]};
  pinhole_config cfg = {servers, 1, 0, 0, 0};
  pinhole_errc err = PINHOLE_OK;
  pinhole_port_manager* pm = pinhole_port_manager_new(&cfg, &err);
  if (pm == NULL) {
    fprintf(stderr, "new: %s\n", pinhole_strerror(err));
    return 1;
  }
  pinhole_mapping m;
  err = pinhole_get_mapping(pm, "127.0.0.1", PINHOLE_PORT_SIP, &m);
  printf("pinhole_get_mapping via %s: %s\n", argv[1], pinhole_strerror(err));
  pinhole_port_manager_free(pm);
  return err == PINHOLE_E_SERVER_UNREACHABLE ? 0 : 1;
}
