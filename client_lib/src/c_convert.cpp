#include "c_convert.hpp"

#include <sys/socket.h>

#include "address_conv.hpp"

namespace pinhole::c_api {

bool parse(const sockaddr* sa, ip_endpoint& out) noexcept { return client::from_sockaddr(sa, out); }

void format(const ip_endpoint& e, char (&out)[PINHOLE_ADDRESS_LEN]) noexcept {
  out[0] = '\0';
  if (e == ip_endpoint{}) return;
  client::to_stun(e).ip_text(out);
}

void fill(const ip_endpoint& e, pinhole_endpoint& out) noexcept {
  format(e, out.address);
  out.port = e.port;
}

void fill(const mapping& m, pinhole_mapping& out) noexcept {
  std::memset(&out, 0, sizeof out);
  format(m.internal, out.internal_address);
  format(m.external, out.external_address);
  out.internal_port = m.internal.port;
  out.external_port = m.external.port;
  out.native_handle = m.native_handle;
}

namespace {
pinhole_event_type to_c(event_type t) noexcept {
  switch (t) {
    case event_type::mapping_changed: return PINHOLE_EVENT_MAPPING_CHANGED;
    case event_type::mapping_lost: return PINHOLE_EVENT_MAPPING_LOST;
    case event_type::server_unreachable: return PINHOLE_EVENT_SERVER_UNREACHABLE;
    case event_type::server_recovered: return PINHOLE_EVENT_SERVER_RECOVERED;
    case event_type::mapping_restored: return PINHOLE_EVENT_MAPPING_RESTORED;
    case event_type::network_changed: return PINHOLE_EVENT_NETWORK_CHANGED;
  }
  return static_cast<pinhole_event_type>(static_cast<int>(t));
}
}  // namespace

void fill(const event& e, pinhole_event& out) noexcept {
  std::memset(&out, 0, sizeof out);
  out.size = sizeof out;
  out.type = to_c(e.type);
  out.port_type = static_cast<pinhole_port_type>(e.current.type);
  fill(e.current, out.mapping);
  fill(e.previous_external, out.previous_external);
  fill(e.server, out.server);
  out.error = c_api::to_c(e.error);
  if (e.error && e.error.category() != client_category()) out.system_error = e.error.value();
}

}  // namespace pinhole::c_api
