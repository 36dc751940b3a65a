/* Integration guide, C, application-owned model: the RTP stack keeps its
 * socket and receive loop; STUN is handed in. Compiled and linked by ctest
 * (capi.snippet_c_application_owned). */
#define _POSIX_C_SOURCE 200809L  // NOLINT(bugprone-reserved-identifier,readability-identifier-naming): feature test
#include <pinhole/pinhole.h>

#include <netinet/in.h>
#include <sys/socket.h>

/* Stand-in for the stack's own media processing. */
static void stack_process(const uint8_t* data, size_t len) {
  (void)data;
  (void)len;
}

/* The stack's receive loop for its socket `fd`, bound to `local`. */
static void receive_loop(pinhole_port_manager* pm, int fd, const struct sockaddr_in* local, volatile int* running) {
  uint8_t buf[2048];
  while (*running) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &from_len);
    if (n <= 0) continue;
    /* RFC 7983: a first byte of 0..3 is STUN. The library's answers are
     * dropped here; the stack's own STUN/ICE comes back with 0. */
    if (buf[0] <= 3 && pinhole_handle_datagram(pm, (const struct sockaddr*)local, (const struct sockaddr*)&from, buf,
                                               (size_t)n) == 1) {
      continue;
    }
    stack_process(buf, (size_t)n);
  }
}

/* Called once the receive loop runs on its thread (it may also run later:
 * pinhole_attach_socket then peeks at the socket's queue). */
static pinhole_errc start_stream(pinhole_port_manager* pm, int fd, const char* remote_ip, pinhole_mapping* m) {
  /* m->external_address:external_port goes into the SDP; keep-alives now go
   * out of `fd` every keep-alive interval, their answers come through
   * receive_loop. */
  return pinhole_attach_socket(pm, fd, PINHOLE_PORT_AUDIO_RTP, remote_ip, m);
}

static void end_stream(pinhole_port_manager* pm, const pinhole_mapping* m) {
  pinhole_detach_socket(pm, m->internal_address, m->internal_port); /* fd stays open: the stack closes it */
}

int main(void) {
  volatile int running = 0;
  struct sockaddr_in local;
  pinhole_mapping m;
  pinhole_port_manager* pm = pinhole_port_manager_create(NULL, NULL);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof local;
  if (pm == NULL || fd < 0) return 1;
  getsockname(fd, (struct sockaddr*)&local, &len);
  receive_loop(pm, fd, &local, &running); /* a thread of the stack, really */
  if (start_stream(pm, fd, "192.0.2.1", &m) == PINHOLE_OK) end_stream(pm, &m);
  pinhole_port_manager_free(pm);
  return 0;
}
