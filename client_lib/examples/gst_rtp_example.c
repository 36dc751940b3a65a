/* pinhole-example-gst-rtp: libpinhole in the application-owned model with a
 * real RTP stack, GStreamer, through pinhole.h only.
 *
 * The stack owns the socket: one GSocket is shared by udpsrc (receiving)
 * and udpsink (sending, so RTP leaves from the mapped port: symmetric RTP,
 * RFC 4961). The library never reads from it. A buffer probe on udpsrc's
 * source pad demultiplexes what arrives by its first byte (RFC 7983 §7:
 * "If the value of the first byte is in the range 0 to 3 [...] then the
 * packet MUST be forwarded to STUN"; 128 to 191: RTP/RTCP): STUN goes to
 * pinhole_handle_datagram and is dropped from the pipeline, RTP flows on to
 * the depayloader. The library sends its Binding requests and keep-alives
 * from the same socket (sendto on the descriptor it was handed).
 *
 * A toy signalling channel stands in for SIP: "INVITE ip port" datagrams to
 * the peer, which points its RTP at that address; on mapping_changed the
 * application sends a new INVITE (a re-INVITE) with the new external address.
 *
 *   behind the NAT:  pinhole-example-gst-rtp --server IP:PORT --local IP
 *                      --remote IP:PORT --signal IP:PORT [--keepalive-ms N] [--seconds N]
 *   the public peer: pinhole-example-gst-rtp --peer --local IP:PORT --signal-port N [--seconds N]
 * Prints one line per step ("mapping", "event", "invite", "rtp ...") and
 * exits 0 when RTP flowed both ways. */
#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/net/gstnetaddressmeta.h>
#include <pinhole/pinhole.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Counters touched from GStreamer's streaming threads and the library thread. */
struct counters {
  gint rtp_sent;
  gint rtp_received;
  gint rtp_received_since_change; /* after the last re-INVITE went out */
  gint stun_handed_in;            /* STUN the library took (Binding responses) */
  gint stun_not_ours;             /* STUN-looking datagrams the library refused */
  gint leaked_to_pipeline;        /* non-RTP that reached the depayloader: must stay 0 */
  gint other_dropped;
};

struct app {
  struct counters c;
  pinhole_port_manager* pm;
  GSocket* media;                /* the one socket the stack owns */
  struct sockaddr_storage local; /* its local address, for pinhole_handle_datagram */
  GSocket* signal;               /* toy signalling */
  GSocketAddress* signal_to;
  GstElement* pipeline;
  GstElement* tx;
  GMutex lock; /* guards the fields below (library thread vs main loop) */
  pinhole_mapping current;
  int reinvite_due;
  long long changed_at_ms;
  int mapping_changes;
  GMainLoop* loop;
  int peer_mode;
  int invited;
  unsigned ticks;
};

/* ---- the demultiplexer in the stack's receive path -------------------- */

static GstPadProbeReturn on_udpsrc_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer user) {
  struct app* a = user;
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  GstPadProbeReturn verdict = GST_PAD_PROBE_OK;
  (void)pad;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_PAD_PROBE_DROP;
  if (map.size > 0 && map.data[0] <= 3) {
    /* RFC 7983: STUN. Hand it to the library with where it came from. */
    GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf);
    struct sockaddr_storage from;
    int taken = 0;
    memset(&from, 0, sizeof from);
    if (a->pm != NULL && meta != NULL && g_socket_address_to_native(meta->addr, &from, sizeof from, NULL)) {
      taken = pinhole_handle_datagram(a->pm, (const struct sockaddr*)&a->local, (const struct sockaddr*)&from, map.data,
                                      map.size);
    }
    g_atomic_int_inc(taken ? &a->c.stun_handed_in : &a->c.stun_not_ours);
    verdict = GST_PAD_PROBE_DROP; /* never reaches the RTP elements */
  } else if (map.size >= 12 && map.data[0] >= 128 && map.data[0] <= 191) {
    g_atomic_int_inc(&a->c.rtp_received);
    g_atomic_int_inc(&a->c.rtp_received_since_change);
  } else {
    g_atomic_int_inc(&a->c.other_dropped);
    verdict = GST_PAD_PROBE_DROP;
  }
  gst_buffer_unmap(buf, &map);
  return verdict;
}

/* After the depayloader's input: only RTP may arrive here. */
static GstPadProbeReturn on_depay_input(GstPad* pad, GstPadProbeInfo* info, gpointer user) {
  struct app* a = user;
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  guint8 first = 0;
  (void)pad;
  if (gst_buffer_extract(buf, 0, &first, 1) != 1 || first < 128 || first > 191) {
    g_atomic_int_inc(&a->c.leaked_to_pipeline);
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_udpsink_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer user) {
  struct app* a = user;
  (void)pad;
  (void)info;
  g_atomic_int_inc(&a->c.rtp_sent);
  return GST_PAD_PROBE_OK;
}

/* ---- libpinhole events (library thread: no blocking, no pinhole calls) - */

static void on_event(void* user, const pinhole_event* ev) {
  struct app* a = user;
  long long t = now_ms();
  printf("event %s %s:%u -> %s:%u (was %s:%u) error \"%s\" t_ms=%lld\n", pinhole_event_type_name(ev->type),
         ev->mapping.internal_address, ev->mapping.internal_port, ev->mapping.external_address,
         ev->mapping.external_port, ev->previous_external.address, ev->previous_external.port,
         pinhole_strerror(ev->error), t);
  fflush(stdout);
  if (ev->type == PINHOLE_EVENT_MAPPING_CHANGED) {
    g_mutex_lock(&a->lock);
    a->current = ev->mapping;
    a->reinvite_due = 1; /* the main loop re-INVITEs */
    a->changed_at_ms = t;
    a->mapping_changes++;
    g_mutex_unlock(&a->lock);
  }
}

/* ---- toy signalling ----------------------------------------------------- */

static void send_invite(struct app* a, const pinhole_mapping* m) {
  char text[128];
  int n = snprintf(text, sizeof text, "INVITE %s %u", m->external_address, m->external_port);
  g_socket_send_to(a->signal, a->signal_to, text, (gsize)n, NULL, NULL);
  printf("invite sent %s:%u t_ms=%lld\n", m->external_address, m->external_port, now_ms());
  fflush(stdout);
}

/* Peer: points its RTP at whatever the last INVITE said. */
static void poll_invites(struct app* a) {
  char text[128];
  GSocketAddress* from = NULL;
  gssize n;
  while ((n = g_socket_receive_from(a->signal, &from, text, sizeof text - 1, NULL, NULL)) > 0) {
    char ip[64];
    unsigned port = 0;
    text[n] = '\0';
    if (sscanf(text, "INVITE %63s %u", ip, &port) == 2 && port > 0 && port < 65536) {
      g_object_set(a->tx, "host", ip, "port", (gint)port, NULL);
      if (!a->invited) {
        GstElement* valve = gst_bin_get_by_name(GST_BIN(a->pipeline), "gate");
        g_object_set(valve, "drop", FALSE, NULL);
        gst_object_unref(valve);
      }
      a->invited++;
      g_atomic_int_set(&a->c.rtp_received_since_change, 0);
      printf("invite received %s:%u (#%d) t_ms=%lld\n", ip, port, a->invited, now_ms());
      fflush(stdout);
      g_socket_send_to(a->signal, from, "200 OK", 6, NULL, NULL);
    }
    g_clear_object(&from);
  }
}

static void progress(struct app* a) {
  printf("progress t_ms=%lld rtp_sent=%d rtp_received=%d stun_handed_in=%d\n", now_ms(),
         g_atomic_int_get(&a->c.rtp_sent), g_atomic_int_get(&a->c.rtp_received),
         g_atomic_int_get(&a->c.stun_handed_in));
  fflush(stdout);
}

static gboolean tick(gpointer user) {
  struct app* a = user;
  if (++a->ticks % 50 == 0) progress(a); /* once a second */
  if (a->peer_mode) {
    poll_invites(a);
    return G_SOURCE_CONTINUE;
  }
  g_mutex_lock(&a->lock);
  if (a->reinvite_due) {
    pinhole_mapping m = a->current;
    a->reinvite_due = 0;
    g_mutex_unlock(&a->lock);
    send_invite(a, &m);
    g_atomic_int_set(&a->c.rtp_received_since_change, 0);
    return G_SOURCE_CONTINUE;
  }
  g_mutex_unlock(&a->lock);
  return G_SOURCE_CONTINUE;
}

/* Pipeline errors end the run (and fail it: nothing flowed). */
static gboolean on_bus(GstBus* bus, GstMessage* msg, gpointer user) {
  struct app* a = user;
  (void)bus;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* err = NULL;
    gchar* dbg = NULL;
    gst_message_parse_error(msg, &err, &dbg);
    fprintf(stderr, "gstreamer error from %s: %s (%s)\n", GST_OBJECT_NAME(msg->src), err->message,
            dbg != NULL ? dbg : "");
    g_clear_error(&err);
    g_free(dbg);
    g_main_loop_quit(a->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean stop_loop(gpointer user) {
  g_main_loop_quit(((struct app*)user)->loop);
  return G_SOURCE_REMOVE;
}

/* ---- setup -------------------------------------------------------------- */

static GSocket* udp_socket(const char* ip, guint16 port) {
  GInetAddress* addr = g_inet_address_new_from_string(ip);
  GSocketAddress* sa;
  GSocket* s;
  GError* err = NULL;
  if (addr == NULL) return NULL;
  s = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err);
  sa = g_inet_socket_address_new(addr, port);
  if (s == NULL || !g_socket_bind(s, sa, FALSE, &err)) {
    fprintf(stderr, "bind %s:%u: %s\n", ip, port, err != NULL ? err->message : "?");
    g_clear_error(&err);
    g_clear_object(&s);
  }
  g_object_unref(sa);
  g_object_unref(addr);
  return s;
}

static int split(const char* text, char* ip, size_t ip_len, guint16* port) {
  const char* colon = strrchr(text, ':');
  long p;
  if (colon == NULL || (size_t)(colon - text) >= ip_len) return 0;
  memcpy(ip, text, (size_t)(colon - text));
  ip[colon - text] = '\0';
  p = strtol(colon + 1, NULL, 10);
  if (p <= 0 || p > 65535) return 0;
  *port = (guint16)p;
  return 1;
}

/* audiotestsrc -> PCMU -> RTP -> udpsink on the shared socket, and
 * udpsrc on the same socket -> (probe) -> depayloader -> fakesink. */
static GstElement* build_pipeline(struct app* a, const char* host, guint16 port) {
  GError* err = NULL;
  GstElement *p, *rx, *depay;
  GstPad* pad;
  GstCaps* caps;
  p = gst_parse_launch(
      "audiotestsrc is-live=true samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! "
      "rtppcmupay ! valve name=gate drop-mode=forward-sticky-events ! udpsink name=tx sync=false async=false "
      "udpsrc name=rx ! rtppcmudepay name=depay ! fakesink sync=false async=false",
      &err);
  if (p == NULL) {
    fprintf(stderr, "pipeline: %s\n", err != NULL ? err->message : "?");
    g_clear_error(&err);
    return NULL;
  }
  a->tx = gst_bin_get_by_name(GST_BIN(p), "tx");
  rx = gst_bin_get_by_name(GST_BIN(p), "rx");
  depay = gst_bin_get_by_name(GST_BIN(p), "depay");
  caps = gst_caps_from_string("application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0");
  g_object_set(rx, "socket", a->media, "close-socket", FALSE, "caps", caps, NULL);
  g_object_set(a->tx, "socket", a->media, "close-socket", FALSE, NULL);
  if (host != NULL) g_object_set(a->tx, "host", host, "port", (gint)port, NULL);
  gst_caps_unref(caps);
  pad = gst_element_get_static_pad(rx, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_udpsrc_buffer, a, NULL);
  gst_object_unref(pad);
  pad = gst_element_get_static_pad(depay, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_depay_input, a, NULL);
  gst_object_unref(pad);
  pad = gst_element_get_static_pad(a->tx, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_udpsink_buffer, a, NULL);
  gst_object_unref(pad);
  gst_object_unref(rx);
  gst_object_unref(depay);
  return p;
}

static int usage(void) {
  fprintf(stderr,
          "usage: pinhole-example-gst-rtp --server IP:PORT --local IP --remote IP:PORT --signal IP:PORT "
          "[--keepalive-ms N] [--seconds N]\n"
          "       pinhole-example-gst-rtp --peer --local IP:PORT --signal-port N [--seconds N]\n");
  return 2;
}

int main(int argc, char** argv) {  // NOLINT(readability-function-size): an example reads top to bottom
  struct app a;
  const char *server = NULL, *local = NULL, *remote = NULL, *signal_arg = NULL;
  long keepalive_ms = 0, seconds = 12, signal_port = 0;
  char remote_ip[64] = "", signal_ip[64] = "", local_ip[64] = "";
  guint16 remote_port = 0, sig_port = 0, local_port = 0;
  GSocketAddress* local_sa;
  int i, ok;

  memset(&a, 0, sizeof a);
  g_mutex_init(&a.lock);
  for (i = 1; i < argc; ++i) {
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--peer") == 0) {
      a.peer_mode = 1;
      continue;
    }
    if (v == NULL) return usage();
    if (strcmp(argv[i], "--server") == 0)
      server = v;
    else if (strcmp(argv[i], "--local") == 0)
      local = v;
    else if (strcmp(argv[i], "--remote") == 0)
      remote = v;
    else if (strcmp(argv[i], "--signal") == 0)
      signal_arg = v;
    else if (strcmp(argv[i], "--signal-port") == 0)
      signal_port = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--keepalive-ms") == 0)
      keepalive_ms = strtol(v, NULL, 10);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = strtol(v, NULL, 10);
    else
      return usage();
    ++i;
  }
  if (local == NULL || seconds <= 0 || seconds > 600 || keepalive_ms < 0) return usage();
  gst_init(NULL, NULL);
  a.loop = g_main_loop_new(NULL, FALSE);

  if (a.peer_mode) {
    if (!split(local, local_ip, sizeof local_ip, &local_port) || signal_port <= 0 || signal_port > 65535) {
      return usage();
    }
    a.media = udp_socket(local_ip, local_port);
    a.signal = udp_socket(local_ip, (guint16)signal_port);
    if (a.media == NULL || a.signal == NULL) return 1;
    g_socket_set_blocking(a.signal, FALSE);
    /* udpsink needs a destination of the socket's family from the start
     * (its default, "localhost", may be ::1); the valve holds RTP back
     * until an INVITE says where to. */
    a.pipeline = build_pipeline(&a, local_ip, local_port);
    if (a.pipeline == NULL) return 1;
    { /* nothing to send to before the first INVITE */
      GstElement* valve = gst_bin_get_by_name(GST_BIN(a.pipeline), "gate");
      g_object_set(valve, "drop", TRUE, NULL);
      gst_object_unref(valve);
    }
    gst_element_set_state(a.pipeline, GST_STATE_PLAYING);
    printf("peer ready on %s t_ms=%lld\n", local, now_ms());
    fflush(stdout);
  } else {
    pinhole_options* o;
    pinhole_errc err = PINHOLE_OK;
    if (server == NULL || remote == NULL || signal_arg == NULL ||
        !split(remote, remote_ip, sizeof remote_ip, &remote_port) ||
        !split(signal_arg, signal_ip, sizeof signal_ip, &sig_port)) {
      return usage();
    }
    /* The stack's socket: GStreamer will own its receive loop. */
    a.media = udp_socket(local, 0);
    a.signal = udp_socket(local, 0);
    if (a.media == NULL || a.signal == NULL) return 1;
    g_socket_set_blocking(a.signal, FALSE);
    a.signal_to = g_inet_socket_address_new_from_string(signal_ip, sig_port);
    local_sa = g_socket_get_local_address(a.media, NULL);
    g_socket_address_to_native(local_sa, &a.local, sizeof a.local, NULL);
    g_object_unref(local_sa);

    o = pinhole_options_new();
    if (o == NULL || pinhole_options_add_server(o, server) != PINHOLE_OK ||
        pinhole_options_set_event_callback(o, on_event, &a) != PINHOLE_OK ||
        (keepalive_ms > 0 && pinhole_options_set_keepalive_ms(o, (uint32_t)keepalive_ms) != PINHOLE_OK)) {
      return usage();
    }
    a.pm = pinhole_port_manager_create(o, &err);
    pinhole_options_free(o);
    if (a.pm == NULL) {
      fprintf(stderr, "pinhole_port_manager_create: %s\n", pinhole_strerror(err));
      return 1;
    }
    /* The pipeline runs first: the Binding response to attach comes back
     * through udpsrc and the probe. */
    a.pipeline = build_pipeline(&a, remote_ip, remote_port);
    if (a.pipeline == NULL) return 1;
    gst_element_set_state(a.pipeline, GST_STATE_PLAYING);
    err = pinhole_attach_socket(a.pm, g_socket_get_fd(a.media), PINHOLE_PORT_AUDIO_RTP, remote_ip, &a.current);
    if (err != PINHOLE_OK) {
      fprintf(stderr, "pinhole_attach_socket: %s\n", pinhole_strerror(err));
      return 1;
    }
    printf("mapping %s:%u -> %s:%u t_ms=%lld\n", a.current.internal_address, a.current.internal_port,
           a.current.external_address, a.current.external_port, now_ms());
    fflush(stdout);
    send_invite(&a, &a.current);
  }

  {
    GstBus* bus = gst_element_get_bus(a.pipeline);
    gst_bus_add_watch(bus, on_bus, &a);
    gst_object_unref(bus);
  }
  g_timeout_add(20, tick, &a);
  g_timeout_add_seconds((guint)seconds, stop_loop, &a);
  g_main_loop_run(a.loop);

  if (!a.peer_mode) {
    pinhole_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    pinhole_get_stats(a.pm, &st);
    printf("keepalives %llu requests_sent %llu responses_ok %llu\n", (unsigned long long)st.keepalives,
           (unsigned long long)st.requests_sent, (unsigned long long)st.responses_ok);
    /* Hang-up: the library stops keep-alives and forgets the socket; the
     * stack still owns and closes it. */
    printf("detach %s\n",
           pinhole_strerror(pinhole_detach_socket(a.pm, a.current.internal_address, a.current.internal_port)));
  }
  gst_element_set_state(a.pipeline, GST_STATE_NULL);
  printf(
      "rtp sent=%d received=%d received_since_last_invite=%d stun_handed_in=%d stun_not_ours=%d "
      "leaked_to_pipeline=%d other_dropped=%d mapping_changes=%d invites_received=%d\n",
      g_atomic_int_get(&a.c.rtp_sent), g_atomic_int_get(&a.c.rtp_received),
      g_atomic_int_get(&a.c.rtp_received_since_change), g_atomic_int_get(&a.c.stun_handed_in),
      g_atomic_int_get(&a.c.stun_not_ours), g_atomic_int_get(&a.c.leaked_to_pipeline),
      g_atomic_int_get(&a.c.other_dropped), a.mapping_changes, a.invited);
  fflush(stdout);
  ok = g_atomic_int_get(&a.c.rtp_sent) > 0 && g_atomic_int_get(&a.c.rtp_received) > 0 &&
       g_atomic_int_get(&a.c.leaked_to_pipeline) == 0;
  if (a.pm != NULL) pinhole_port_manager_free(a.pm);
  gst_object_unref(a.tx);
  gst_object_unref(a.pipeline);
  g_object_unref(a.media);
  g_object_unref(a.signal);
  if (a.signal_to != NULL) g_object_unref(a.signal_to);
  g_main_loop_unref(a.loop);
  gst_deinit();
  return ok ? 0 : 1;
}
