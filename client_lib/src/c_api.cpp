// C ABI over pinhole::port_manager. Nothing here throws: every entry point
// catches and maps to a pinhole_errc.
#include "pinhole/pinhole.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "address_conv.hpp"
#include "c_convert.hpp"
#include "c_options.hpp"
#include "pinhole/port_manager.hpp"

namespace pinhole {
const char* errc_message(int ev) noexcept;  // errors.cpp
}

struct pinhole_port_manager {
  std::unique_ptr<pinhole::port_manager> pm;
};

namespace {

using pinhole::ip_endpoint;
using pinhole::c_api::fill;
using pinhole::c_api::parse;
using pinhole::c_api::to_c;

bool valid_type(pinhole_port_type t) noexcept { return pinhole::port_type_from_int(static_cast<int>(t)).has_value(); }

void set(pinhole_errc* err, pinhole_errc e) noexcept {
  if (err != nullptr) *err = e;
}

pinhole_port_manager* create(pinhole::options o, pinhole_errc* err) noexcept {
  try {
    std::error_code ec;
    auto pm = pinhole::port_manager::create(std::move(o), ec);
    if (!pm) {
      set(err, ec ? to_c(ec) : PINHOLE_E_SOCKET_ERROR);
      return nullptr;
    }
    auto* h = new (std::nothrow) pinhole_port_manager{std::move(pm)};
    set(err, h != nullptr ? PINHOLE_OK : PINHOLE_E_OUT_OF_MEMORY);
    return h;
  } catch (const std::bad_alloc&) {
    set(err, PINHOLE_E_OUT_OF_MEMORY);
  } catch (...) {
    set(err, PINHOLE_E_SOCKET_ERROR);
  }
  return nullptr;
}

}  // namespace

extern "C" {

pinhole_port_manager* pinhole_port_manager_create(const pinhole_options* o, pinhole_errc* err) {
  try {
    return create(o != nullptr ? pinhole::c_api::to_cxx(*o) : pinhole::options{}, err);
  } catch (const std::bad_alloc&) {
    set(err, PINHOLE_E_OUT_OF_MEMORY);
  } catch (...) {
    set(err, PINHOLE_E_SOCKET_ERROR);
  }
  return nullptr;
}

// The configuration's server list into `o` (none given: the defaults);
// false if an entry is NULL.
bool copy_servers(const pinhole_config& config, pinhole::options& o) {
  if (config.servers == nullptr || config.server_count == 0) return true;
  o.servers.clear();
  for (std::size_t i = 0; i < config.server_count; ++i) {
    if (config.servers[i] == nullptr) return false;
    o.servers.emplace_back(config.servers[i]);
  }
  return true;
}

pinhole_port_manager* pinhole_port_manager_new(const pinhole_config* config, pinhole_errc* err) {
  try {
    pinhole::options o;
    if (config != nullptr) {
      if (!copy_servers(*config, o)) {
        set(err, PINHOLE_E_INVALID_ARGUMENT);
        return nullptr;
      }
      if (config->call_timeout_ms != 0) o.call_timeout = std::chrono::milliseconds(config->call_timeout_ms);
      if (config->keepalive_ms != 0) o.keepalive_interval = std::chrono::milliseconds(config->keepalive_ms);
      if (config->rto_ms != 0) o.transaction.rto = std::chrono::milliseconds(config->rto_ms);
    }
    return create(std::move(o), err);
  } catch (const std::bad_alloc&) {
    set(err, PINHOLE_E_OUT_OF_MEMORY);
  } catch (...) {
    set(err, PINHOLE_E_SOCKET_ERROR);
  }
  return nullptr;
}

void pinhole_port_manager_free(pinhole_port_manager* pm) { delete pm; }

pinhole_errc pinhole_get_mapping(pinhole_port_manager* pm, const char* remote_address, pinhole_port_type type,
                                 pinhole_mapping* out) {
  if (pm == nullptr || remote_address == nullptr || out == nullptr || !valid_type(type)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  pinhole::mapping m;
  const auto ec = pm->pm->get_mapping(std::string_view(remote_address), static_cast<pinhole::port_type>(type), m);
  if (!ec) fill(m, *out);
  return to_c(ec);
}

pinhole_errc pinhole_update_remote_address(pinhole_port_manager* pm, const char* remote_address, uint16_t remote_port,
                                           const char* internal_address, uint16_t internal_port,
                                           const char* external_address, uint16_t external_port) {
  ip_endpoint remote, internal, external;
  if (pm == nullptr || !parse(remote_address, remote_port, remote) ||
      !parse(internal_address, internal_port, internal) || !parse(external_address, external_port, external)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  return to_c(pm->pm->update_remote_address(remote, internal, external));
}

pinhole_errc pinhole_release_mapping(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                     const char* external_address, uint16_t external_port) {
  ip_endpoint internal, external;
  if (pm == nullptr || !parse(internal_address, internal_port, internal) ||
      !parse(external_address, external_port, external)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  return to_c(pm->pm->release_mapping(internal, external));
}

pinhole_errc pinhole_start_listen(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                  pinhole_mapping* out) {
  ip_endpoint internal;
  if (pm == nullptr || out == nullptr || !parse(internal_address, internal_port, internal)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  pinhole::mapping m;
  const auto ec = pm->pm->start_listen(internal, m);
  if (!ec) fill(m, *out);
  return to_c(ec);
}

pinhole_errc pinhole_stop_listen(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port) {
  ip_endpoint internal;
  if (pm == nullptr || !parse(internal_address, internal_port, internal)) return PINHOLE_E_INVALID_ARGUMENT;
  return to_c(pm->pm->stop_listen(internal));
}

pinhole_errc pinhole_get_port_range(pinhole_port_manager* pm, pinhole_port_type type, uint16_t* min_port,
                                    uint16_t* max_port) {
  if (pm == nullptr || min_port == nullptr || max_port == nullptr || !valid_type(type)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  pinhole::port_range r;
  const auto ec = pm->pm->get_port_range(static_cast<pinhole::port_type>(type), r);
  *min_port = r.min;
  *max_port = r.max;
  return to_c(ec);
}

pinhole_errc pinhole_adopt_socket(pinhole_port_manager* pm, int fd, pinhole_port_type type, const char* remote_address,
                                  pinhole_mapping* out) {
  // The descriptor is the library's whatever the result (as in C++):
  // refused arguments close it too.
  const auto refuse = [fd] {
    if (fd >= 0) ::close(fd);
    return PINHOLE_E_INVALID_ARGUMENT;
  };
  ip_endpoint remote;
  if (pm == nullptr || fd < 0 || out == nullptr || !valid_type(type)) return refuse();
  try {
    const auto r = remote_address != nullptr ? ip_endpoint::parse(remote_address, true) : std::nullopt;
    if (!r) return refuse();
    remote = *r;
  } catch (...) {
    return refuse();
  }
  pinhole::mapping m;
  const auto ec = pm->pm->adopt_socket(fd, static_cast<pinhole::port_type>(type), remote, m);
  if (!ec) fill(m, *out);
  return to_c(ec);
}

pinhole_errc pinhole_send(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                          const char* to_address, uint16_t to_port, const void* data, size_t len) {
  ip_endpoint internal, to;
  if (pm == nullptr || (data == nullptr && len != 0) || !parse(internal_address, internal_port, internal) ||
      !parse(to_address, to_port, to)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  return to_c(pm->pm->send(internal, to, std::span(static_cast<const std::byte*>(data), len)));
}

pinhole_errc pinhole_attach_socket(pinhole_port_manager* pm, int fd, pinhole_port_type type, const char* remote_address,
                                   pinhole_mapping* out) {
  if (pm == nullptr || fd < 0 || out == nullptr || remote_address == nullptr || !valid_type(type)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  ip_endpoint remote;
  try {
    const auto r = ip_endpoint::parse(remote_address, true);
    if (!r) return PINHOLE_E_INVALID_ARGUMENT;
    remote = *r;
  } catch (...) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  pinhole::mapping m;
  const auto ec = pm->pm->attach_socket(fd, static_cast<pinhole::port_type>(type), remote, m);
  if (!ec) fill(m, *out);
  return to_c(ec);
}

int pinhole_handle_datagram(pinhole_port_manager* pm, const struct sockaddr* local, const struct sockaddr* from,
                            const void* data, size_t len) {
  // Per packet: no text, no allocation.
  ip_endpoint l, f;
  if (pm == nullptr || data == nullptr || !parse(local, l) || !parse(from, f)) return 0;
  return pm->pm->handle_datagram(l, f, std::span(static_cast<const std::byte*>(data), len)) ? 1 : 0;
}

int pinhole_handle_datagram_relayed(pinhole_port_manager* pm, const struct sockaddr* local, const struct sockaddr* from,
                                    const void* data, size_t len, struct sockaddr_storage* peer, size_t* payload_offset,
                                    size_t* payload_len) {
  ip_endpoint l, f;
  if (pm == nullptr || data == nullptr || payload_offset == nullptr || payload_len == nullptr || !parse(local, l) ||
      !parse(from, f)) {
    return 0;
  }
  const auto bytes = std::span(static_cast<const std::byte*>(data), len);
  pinhole::relayed_datagram r;
  switch (pm->pm->handle_datagram(l, f, bytes, r)) {
    case pinhole::datagram_kind::application: return 0;
    case pinhole::datagram_kind::library: return 1;
    case pinhole::datagram_kind::relayed: break;
  }
  *payload_offset = static_cast<std::size_t>(r.payload.data() - bytes.data());
  *payload_len = r.payload.size();
  if (peer != nullptr) pinhole::client::to_sockaddr(r.peer, *peer);
  return 2;
}

pinhole_errc pinhole_detach_socket(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port) {
  ip_endpoint internal;
  if (pm == nullptr || !parse(internal_address, internal_port, internal)) return PINHOLE_E_INVALID_ARGUMENT;
  return to_c(pm->pm->detach_socket(internal));
}

void pinhole_network_changed(pinhole_port_manager* pm) {
  if (pm != nullptr) pm->pm->network_changed();
}

pinhole_errc pinhole_get_mapping_origin(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                        pinhole_mapping_origin* origin, int64_t* lease_end_unix_ms) {
  ip_endpoint internal;
  if (pm == nullptr || !parse(internal_address, internal_port, internal)) return PINHOLE_E_INVALID_ARGUMENT;
  pinhole::mapping m;
  if (const auto ec = pm->pm->mapping_info(internal, m)) return to_c(ec);
  if (origin != nullptr) *origin = static_cast<pinhole_mapping_origin>(m.origin);
  if (lease_end_unix_ms != nullptr) {
    *lease_end_unix_ms =
        m.origin == pinhole::mapping_origin::stun
            ? 0
            : std::chrono::duration_cast<std::chrono::milliseconds>(m.lease_end.time_since_epoch()).count();
  }
  return PINHOLE_OK;
}

pinhole_errc pinhole_reprobe_gateways(pinhole_port_manager* pm) {
  if (pm == nullptr) return PINHOLE_E_INVALID_ARGUMENT;
  pm->pm->reprobe_gateways();
  return PINHOLE_OK;
}

const char* pinhole_mapping_origin_name(pinhole_mapping_origin o) {
  if (o < PINHOLE_ORIGIN_STUN || o > PINHOLE_ORIGIN_TURN) return "unknown";
  return pinhole::to_string(static_cast<pinhole::mapping_origin>(o));
}

pinhole_errc pinhole_get_stats(pinhole_port_manager* pm, pinhole_stats* out) {
  if (pm == nullptr || out == nullptr || out->size < offsetof(pinhole_stats, mappings) + sizeof(uint64_t)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  const auto s = pm->pm->stats();
  pinhole_stats full{};
  full.size = sizeof full;
  full.mappings = s.mappings;
  full.prewarmed = s.prewarmed;
  full.listens = s.listens;
  full.requests_sent = s.requests_sent;
  full.responses_ok = s.responses_ok;
  full.responses_rejected = s.responses_rejected;
  full.keepalives = s.keepalives;
  full.server_list_updates = s.server_list_updates;
  full.attached = s.attached;
  full.keepalives_skipped = s.keepalives_skipped;
  full.network_changes = s.network_changes;
  // An older caller's struct is a prefix of ours; copy only what it has.
  const std::size_t n = std::min(out->size, sizeof full);
  full.size = n;
  std::memcpy(out, &full, n);
  return PINHOLE_OK;
}

const char* pinhole_strerror(pinhole_errc e) { return pinhole::errc_message(static_cast<int>(e)); }

const char* pinhole_event_type_name(pinhole_event_type t) {
  switch (t) {
    case PINHOLE_EVENT_MAPPING_CHANGED: return "mapping_changed";
    case PINHOLE_EVENT_MAPPING_LOST: return "mapping_lost";
    case PINHOLE_EVENT_SERVER_UNREACHABLE: return "server_unreachable";
    case PINHOLE_EVENT_SERVER_RECOVERED: return "server_recovered";
    case PINHOLE_EVENT_MAPPING_RESTORED: return "mapping_restored";
    case PINHOLE_EVENT_NETWORK_CHANGED: return "network_changed";
  }
  return "unknown";
}

const char* pinhole_version(void) { return PINHOLE_VERSION_STRING; }

int pinhole_mapping_is_relayed(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port) {
  ip_endpoint internal;
  if (pm == nullptr || !parse(internal_address, internal_port, internal)) return 0;
  return pm->pm->is_relayed(internal) ? 1 : 0;
}

}  // extern "C"
