// C ABI over pinhole::port_manager. Nothing here throws: every entry point
// catches and maps to a pinhole_errc.
#include "pinhole/pinhole.h"

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "pinhole/port_manager.hpp"

namespace pinhole {
const char* errc_message(int ev) noexcept;  // errors.cpp
}

struct pinhole_port_manager {
  std::unique_ptr<pinhole::port_manager> pm;
};

namespace {

using pinhole::errc;
using pinhole::ip_endpoint;

pinhole_errc to_c(const std::error_code& ec) noexcept {
  if (!ec) return PINHOLE_OK;
  if (ec.category() == pinhole::client_category()) return static_cast<pinhole_errc>(ec.value());
  return PINHOLE_E_SOCKET_ERROR;
}

bool endpoint(const char* ip, std::uint16_t port, ip_endpoint& out) noexcept {
  if (ip == nullptr) return false;
  try {
    const auto e = ip_endpoint::parse_ip(ip, port);
    if (!e) return false;
    out = *e;
    return true;
  } catch (...) {
    return false;
  }
}

void fill(const pinhole::mapping& m, pinhole_mapping* out) noexcept {
  try {
    std::memset(out, 0, sizeof *out);
    const auto in = m.internal.ip_string();
    const auto ex = m.external.ip_string();
    std::strncpy(out->internal_address, in.c_str(), sizeof out->internal_address - 1);
    std::strncpy(out->external_address, ex.c_str(), sizeof out->external_address - 1);
    out->internal_port = m.internal.port;
    out->external_port = m.external.port;
    out->native_handle = m.native_handle;
  } catch (...) {
    out->native_handle = -1;
  }
}

bool valid_type(pinhole_port_type t) noexcept { return pinhole::port_type_from_int(static_cast<int>(t)).has_value(); }

}  // namespace

extern "C" {

pinhole_port_manager* pinhole_port_manager_new(const pinhole_config* config, pinhole_errc* err) {
  auto set = [err](pinhole_errc e) {
    if (err != nullptr) *err = e;
  };
  try {
    pinhole::options o;
    if (config != nullptr) {
      if (config->servers != nullptr && config->server_count > 0) {
        o.servers.clear();
        for (std::size_t i = 0; i < config->server_count; ++i) {
          if (config->servers[i] == nullptr) {
            set(PINHOLE_E_INVALID_ARGUMENT);
            return nullptr;
          }
          o.servers.emplace_back(config->servers[i]);
        }
      }
      if (config->call_timeout_ms != 0) o.call_timeout = std::chrono::milliseconds(config->call_timeout_ms);
      if (config->keepalive_ms != 0) o.keepalive_interval = std::chrono::milliseconds(config->keepalive_ms);
      if (config->rto_ms != 0) o.transaction.rto = std::chrono::milliseconds(config->rto_ms);
    }
    std::error_code ec;
    auto pm = pinhole::port_manager::create(std::move(o), ec);
    if (!pm) {
      set(ec ? to_c(ec) : PINHOLE_E_SOCKET_ERROR);
      return nullptr;
    }
    auto* h = new (std::nothrow) pinhole_port_manager{std::move(pm)};
    set(h != nullptr ? PINHOLE_OK : PINHOLE_E_OUT_OF_MEMORY);
    return h;
  } catch (const std::bad_alloc&) {
    set(PINHOLE_E_OUT_OF_MEMORY);
  } catch (...) {
    set(PINHOLE_E_SOCKET_ERROR);
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
  if (!ec) fill(m, out);
  return to_c(ec);
}

pinhole_errc pinhole_update_remote_address(pinhole_port_manager* pm, const char* remote_address,
                                           uint16_t remote_port, const char* internal_address,
                                           uint16_t internal_port, const char* external_address,
                                           uint16_t external_port) {
  ip_endpoint remote, internal, external;
  if (pm == nullptr || !endpoint(remote_address, remote_port, remote) ||
      !endpoint(internal_address, internal_port, internal) || !endpoint(external_address, external_port, external)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  return to_c(pm->pm->update_remote_address(remote, internal, external));
}

pinhole_errc pinhole_release_mapping(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                     const char* external_address, uint16_t external_port) {
  ip_endpoint internal, external;
  if (pm == nullptr || !endpoint(internal_address, internal_port, internal) ||
      !endpoint(external_address, external_port, external)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  return to_c(pm->pm->release_mapping(internal, external));
}

pinhole_errc pinhole_start_listen(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port,
                                  pinhole_mapping* out) {
  ip_endpoint internal;
  if (pm == nullptr || out == nullptr || !endpoint(internal_address, internal_port, internal)) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
  pinhole::mapping m;
  const auto ec = pm->pm->start_listen(internal, m);
  if (!ec) fill(m, out);
  return to_c(ec);
}

pinhole_errc pinhole_stop_listen(pinhole_port_manager* pm, const char* internal_address, uint16_t internal_port) {
  ip_endpoint internal;
  if (pm == nullptr || !endpoint(internal_address, internal_port, internal)) return PINHOLE_E_INVALID_ARGUMENT;
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

const char* pinhole_strerror(pinhole_errc e) {
  if (e == PINHOLE_E_OUT_OF_MEMORY) return "out of memory";
  return pinhole::errc_message(static_cast<int>(e));
}

}  // extern "C"
