/* pinhole-example-echo: the library-owned model from C, pinhole.h only.
 *
 * Gets an audio RTP mapping towards an echo peer from a STUN server, sends
 * numbered datagrams to the peer from the mapped socket (pinhole_send) at a
 * fixed rate, counts the echoes that come back through the datagram
 * callback, then keeps the mapping alive and prints every event until
 * --linger-ms has passed (or a --until event arrived).
 *
 *   pinhole-example-echo --server 127.0.0.1:3478 --peer 127.0.0.1:5004
 *                        [--count 100] [--rate 1000] [--keepalive-ms 25000]
 *                        [--linger-ms 0] [--until mapping_lost]
 * Exit status: 0 when every echo came back (and the --until event arrived),
 * 1 otherwise, 2 for bad arguments. */
#define _POSIX_C_SOURCE 200809L  // NOLINT(bugprone-reserved-identifier,readability-identifier-naming): feature test
#include <pinhole/pinhole.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNT 100000

struct app {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  unsigned char* seen; /* seen[i]: echo of datagram i arrived */
  unsigned count;
  unsigned received;
  unsigned duplicates;
  unsigned strangers; /* datagrams from anyone but the peer */
  char peer_address[PINHOLE_ADDRESS_LEN];
  uint16_t peer_port;
  const char* until; /* event type name to wait for, or NULL */
  int until_seen;
};

/* Library thread: must not block. Only counts under a short lock. */
static void on_datagram(void* user, const pinhole_mapping* m, const pinhole_endpoint* from, const uint8_t* data,
                        size_t len) {
  struct app* a = user;
  unsigned seq = 0;
  size_t i;
  (void)m;
  pthread_mutex_lock(&a->lock);
  if (strcmp(from->address, a->peer_address) != 0 || from->port != a->peer_port || len < 4) {
    a->strangers++;
  } else {
    for (i = 0; i < 4; ++i) seq = (seq << 8) | data[i];
    if (seq < a->count && !a->seen[seq]) {
      a->seen[seq] = 1;
      a->received++;
    } else {
      a->duplicates++;
    }
  }
  pthread_cond_broadcast(&a->changed);
  pthread_mutex_unlock(&a->lock);
}

/* Library thread too. */
static void on_event(void* user, const pinhole_event* ev) {
  struct app* a = user;
  const char* name = pinhole_event_type_name(ev->type);
  printf("event %s mapping %s:%u -> %s:%u previous %s:%u server %s:%u error \"%s\"\n", name,
         ev->mapping.internal_address, ev->mapping.internal_port, ev->mapping.external_address,
         ev->mapping.external_port, ev->previous_external.address, ev->previous_external.port, ev->server.address,
         ev->server.port, pinhole_strerror(ev->error));
  fflush(stdout);
  pthread_mutex_lock(&a->lock);
  if (a->until != NULL && strcmp(a->until, name) == 0) a->until_seen = 1;
  pthread_cond_broadcast(&a->changed);
  pthread_mutex_unlock(&a->lock);
}

/* "1.2.3.4:5" or "[v6]:5" into address text and port. */
static int split(const char* text, char* address, uint16_t* port) {
  const char* colon = strrchr(text, ':');
  size_t n;
  long p;
  char* end;
  if (colon == NULL) return 0;
  n = (size_t)(colon - text);
  if (n > 0 && text[0] == '[' && text[n - 1] == ']') {
    text++;
    n -= 2;
  }
  if (n == 0 || n >= PINHOLE_ADDRESS_LEN) return 0;
  memcpy(address, text, n);
  address[n] = '\0';
  p = strtol(colon + 1, &end, 10);
  if (*end != '\0' || p <= 0 || p > 65535) return 0;
  *port = (uint16_t)p;
  return 1;
}

static void deadline_in(struct timespec* t, long ms) {
  clock_gettime(CLOCK_REALTIME, t);
  t->tv_sec += ms / 1000;
  t->tv_nsec += (ms % 1000) * 1000000L;
  if (t->tv_nsec >= 1000000000L) {
    t->tv_sec++;
    t->tv_nsec -= 1000000000L;
  }
}

static int usage(const char* why) {
  fprintf(stderr, "pinhole-example-echo: %s\n", why);
  return 2;
}

int main(int argc, char** argv) {  // NOLINT(readability-function-size): an example reads top to bottom
  const char* server = NULL;
  const char* peer = NULL;
  long count = 100, rate = 1000, keepalive_ms = 0, linger_ms = 0;
  struct app a;
  pinhole_options* o;
  pinhole_port_manager* pm;
  pinhole_errc err = PINHOLE_OK;
  pinhole_mapping m;
  pinhole_stats st;
  struct timespec next, t;
  long i;
  unsigned send_failures = 0;
  int ok;

  memset(&a, 0, sizeof a);
  for (i = 1; i < argc; i += 2) { /* --option value */
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return usage("every option takes a value");
    if (strcmp(argv[i], "--server") == 0)
      server = v;
    else if (strcmp(argv[i], "--peer") == 0)
      peer = v;
    else if (strcmp(argv[i], "--count") == 0)
      count = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--rate") == 0)
      rate = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--keepalive-ms") == 0)
      keepalive_ms = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--linger-ms") == 0)
      linger_ms = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--until") == 0)
      a.until = v;
    else
      return usage("unknown option");
  }
  if (server == NULL || peer == NULL) return usage("--server and --peer are required");
  if (count <= 0 || count > MAX_COUNT || rate <= 0 || rate > 1000000 || keepalive_ms < 0 || linger_ms < 0) {
    return usage("--count 1..100000, --rate 1..1000000, times >= 0");
  }
  if (!split(peer, a.peer_address, &a.peer_port)) return usage("--peer must be IP:PORT");
  a.count = (unsigned)count;
  a.seen = calloc((size_t)count, 1);
  if (a.seen == NULL) return 1;
  pthread_mutex_init(&a.lock, NULL);
  pthread_cond_init(&a.changed, NULL);

  o = pinhole_options_new();
  if (o == NULL || pinhole_options_add_server(o, server) != PINHOLE_OK ||
      pinhole_options_set_datagram_callback(o, on_datagram, &a) != PINHOLE_OK ||
      pinhole_options_set_event_callback(o, on_event, &a) != PINHOLE_OK ||
      (keepalive_ms > 0 && pinhole_options_set_keepalive_ms(o, (uint32_t)keepalive_ms) != PINHOLE_OK)) {
    pinhole_options_free(o);
    return usage("bad --server or --keepalive-ms");
  }
  pm = pinhole_port_manager_create(o, &err);
  pinhole_options_free(o); /* copied by create */
  if (pm == NULL) {
    fprintf(stderr, "pinhole_port_manager_create: %s\n", pinhole_strerror(err));
    return 1;
  }
  err = pinhole_get_mapping(pm, a.peer_address, PINHOLE_PORT_AUDIO_RTP, &m);
  if (err != PINHOLE_OK) {
    fprintf(stderr, "pinhole_get_mapping: %s\n", pinhole_strerror(err));
    pinhole_port_manager_free(pm);
    return 1;
  }
  printf("mapping %s:%u -> %s:%u\n", m.internal_address, m.internal_port, m.external_address, m.external_port);
  fflush(stdout);

  /* Paced sending: datagram i leaves at start + i / rate. */
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (i = 0; i < count; ++i) {
    unsigned char payload[160];
    memset(payload, 0, sizeof payload);
    payload[0] = (unsigned char)(i >> 24);
    payload[1] = (unsigned char)(i >> 16);
    payload[2] = (unsigned char)(i >> 8);
    payload[3] = (unsigned char)i;
    if (pinhole_send(pm, m.internal_address, m.internal_port, a.peer_address, a.peer_port, payload, sizeof payload) !=
        PINHOLE_OK) {
      send_failures++;
    }
    next.tv_nsec += 1000000000L / rate;
    while (next.tv_nsec >= 1000000000L) {
      next.tv_sec++;
      next.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  /* Echoes still in flight: up to one second more. */
  deadline_in(&t, 1000);
  pthread_mutex_lock(&a.lock);
  while (a.received < a.count && pthread_cond_timedwait(&a.changed, &a.lock, &t) == 0) {}
  printf("echo sent=%ld received=%u lost=%u duplicates=%u strangers=%u send_failures=%u rate=%ld/s\n", count,
         a.received, a.count - a.received, a.duplicates, a.strangers, send_failures, rate);
  fflush(stdout);
  /* Linger: keep-alives run, events arrive. */
  deadline_in(&t, linger_ms);
  while (!(a.until != NULL && a.until_seen) && pthread_cond_timedwait(&a.changed, &a.lock, &t) == 0) {}
  ok = a.received == a.count && send_failures == 0 && (a.until == NULL || a.until_seen);
  pthread_mutex_unlock(&a.lock);

  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  if (pinhole_get_stats(pm, &st) == PINHOLE_OK) {
    printf("stats mappings=%llu requests_sent=%llu responses_ok=%llu keepalives=%llu\n",
           (unsigned long long)st.mappings, (unsigned long long)st.requests_sent, (unsigned long long)st.responses_ok,
           (unsigned long long)st.keepalives);
  }
  /* Hang-up: give the mapping back. */
  err = pinhole_release_mapping(pm, m.internal_address, m.internal_port, m.external_address, m.external_port);
  printf("release %s\n", pinhole_strerror(err));
  pinhole_port_manager_free(pm);
  pthread_cond_destroy(&a.changed);
  pthread_mutex_destroy(&a.lock);
  free(a.seen);
  if (a.until != NULL && !a.until_seen) fprintf(stderr, "pinhole-example-echo: no %s event\n", a.until);
  return ok ? 0 : 1;
}
