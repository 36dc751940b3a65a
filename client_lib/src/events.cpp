// Event names.
#include "pinhole/events.hpp"

namespace pinhole {

const char* to_string(event_type t) noexcept {
  switch (t) {
    case event_type::mapping_changed: return "mapping_changed";
    case event_type::mapping_lost: return "mapping_lost";
    case event_type::server_unreachable: return "server_unreachable";
    case event_type::server_recovered: return "server_recovered";
    case event_type::mapping_restored: return "mapping_restored";
    case event_type::network_changed: return "network_changed";
  }
  return "?";
}

}  // namespace pinhole
