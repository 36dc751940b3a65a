/* Integration guide, C: what to do with each event. Compiled and linked by
 * ctest (capi.snippet_c_events). */
#include <pinhole/pinhole.h>

#include <stdio.h>

/* The application's own queue to its signalling thread (stand-ins). */
static void queue_reinvite(const pinhole_mapping* now) {
  printf("re-INVITE with c=/m= %s %u\n", now->external_address, now->external_port);
}
static void note(const char* what) { printf("%s\n", what); }

/* Library thread: do not block; queue the work. */
static void on_event(void* user, const pinhole_event* ev) {
  (void)user;
  switch (ev->type) {
    case PINHOLE_EVENT_MAPPING_CHANGED:
      /* The NAT gave the stream a new external address: the peer sends to
       * the old one in vain. Re-advertise: SIP re-INVITE (or UPDATE) with
       * the new address in the SDP. */
      queue_reinvite(&ev->mapping);
      break;
    case PINHOLE_EVENT_MAPPING_LOST:
      /* No server confirms the mapping; media may still flow. Keep the
       * call; a later MAPPING_RESTORED (or MAPPING_CHANGED) follows when a
       * server answers again. */
      note("mapping unconfirmed");
      break;
    case PINHOLE_EVENT_MAPPING_RESTORED: note("mapping confirmed again"); break;
    case PINHOLE_EVENT_SERVER_UNREACHABLE:
    case PINHOLE_EVENT_SERVER_RECOVERED:
      /* Informational: the library fails over between servers itself. */
      note(pinhole_event_type_name(ev->type));
      break;
    default:
      /* Newer libraries may add event types: ignore unknown ones. */
      break;
  }
}

int main(void) {
  pinhole_options* o = pinhole_options_new();
  pinhole_port_manager* pm;
  pinhole_options_set_event_callback(o, on_event, NULL);
  pm = pinhole_port_manager_create(o, NULL);
  pinhole_options_free(o);
  pinhole_port_manager_free(pm);
  return 0;
}
