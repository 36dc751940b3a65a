/* C ABI of libpinhole. Opaque handles, plain structs, integer error codes.
 * No function ever throws or calls back into the caller synchronously. */
#ifndef PINHOLE_H
#define PINHOLE_H

#include <stddef.h>
#include <stdint.h>

#include "pinhole/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same values as pinhole::errc. */
typedef enum pinhole_errc {
  PINHOLE_OK = 0,
  PINHOLE_E_INVALID_ARGUMENT = 1,
  PINHOLE_E_TIMEOUT = 2,
  PINHOLE_E_SERVER_UNREACHABLE = 3,
  PINHOLE_E_BAD_RESPONSE = 4,
  PINHOLE_E_SERVER_ERROR = 5,
  PINHOLE_E_INTEGRITY_FAILURE = 6,
  PINHOLE_E_UNKNOWN_MAPPING = 7,
  PINHOLE_E_NOT_LISTENING = 8,
  PINHOLE_E_NO_PORT_AVAILABLE = 9,
  PINHOLE_E_ADDRESS_IN_USE = 10,
  PINHOLE_E_FAMILY_NOT_SUPPORTED = 11,
  PINHOLE_E_RESOLVE_FAILED = 12,
  PINHOLE_E_NO_SERVERS = 13,
  PINHOLE_E_SOCKET_ERROR = 14,
  PINHOLE_E_SHUTTING_DOWN = 15,
  PINHOLE_E_WOULD_DEADLOCK = 16,
  PINHOLE_E_NO_ALTERNATE_SERVER = 17,
  PINHOLE_E_DESTINATION_DEPENDENT_MAPPING = 18,
  PINHOLE_E_OUT_OF_MEMORY = 100
} pinhole_errc;

/* RTC_PORT_TYPE. */
typedef enum pinhole_port_type {
  PINHOLE_PORT_AUDIO_RTP = 0,
  PINHOLE_PORT_AUDIO_RTCP = 1,
  PINHOLE_PORT_VIDEO_RTP = 2,
  PINHOLE_PORT_VIDEO_RTCP = 3,
  PINHOLE_PORT_SIP = 4
} pinhole_port_type;

typedef struct pinhole_port_manager pinhole_port_manager;

/* Addresses are text: "192.0.2.1" or "2001:db8::1"; ports host order. */
typedef struct pinhole_mapping {
  char internal_address[46];
  uint16_t internal_port;
  char external_address[46];
  uint16_t external_port;
  int native_handle; /* owned by the library */
} pinhole_mapping;

typedef struct pinhole_config {
  const char* const* servers; /* "host[:port]" entries; NULL/0 = "127.0.0.1:3478" */
  size_t server_count;
  uint32_t call_timeout_ms;   /* 0 = 500 */
  uint32_t keepalive_ms;      /* 0 = 25000 */
  uint32_t rto_ms;            /* 0 = 500 */
} pinhole_config;

/* `config` may be NULL for defaults. On failure returns NULL and stores the
 * error in *err (if err != NULL). */
PINHOLE_API pinhole_port_manager* pinhole_port_manager_new(const pinhole_config* config, pinhole_errc* err);
PINHOLE_API void pinhole_port_manager_free(pinhole_port_manager* pm);

PINHOLE_API pinhole_errc pinhole_get_mapping(pinhole_port_manager* pm, const char* remote_address,
                                             pinhole_port_type type, pinhole_mapping* out);
/* remote_port 0: punch to the remote IP at the external port number. */
PINHOLE_API pinhole_errc pinhole_update_remote_address(pinhole_port_manager* pm, const char* remote_address,
                                                       uint16_t remote_port, const char* internal_address,
                                                       uint16_t internal_port, const char* external_address,
                                                       uint16_t external_port);
PINHOLE_API pinhole_errc pinhole_release_mapping(pinhole_port_manager* pm, const char* internal_address,
                                                 uint16_t internal_port, const char* external_address,
                                                 uint16_t external_port);
PINHOLE_API pinhole_errc pinhole_start_listen(pinhole_port_manager* pm, const char* internal_address,
                                              uint16_t internal_port, pinhole_mapping* out);
PINHOLE_API pinhole_errc pinhole_stop_listen(pinhole_port_manager* pm, const char* internal_address,
                                             uint16_t internal_port);
PINHOLE_API pinhole_errc pinhole_get_port_range(pinhole_port_manager* pm, pinhole_port_type type,
                                                uint16_t* min_port, uint16_t* max_port);
/* Static English text; never NULL. */
PINHOLE_API const char* pinhole_strerror(pinhole_errc e);

#ifdef __cplusplus
}
#endif

#endif /* PINHOLE_H */
