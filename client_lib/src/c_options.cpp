// pinhole_options_*: the growable C configuration. Each setter validates
// its value and leaves the object unchanged when it refuses it.
#include "c_options.hpp"

#include <new>

#include "c_convert.hpp"

namespace pinhole::c_api {

options to_cxx(const pinhole_options& c) {
  options o = c.o;
  if (c.event_cb != nullptr) {
    o.on_event = [cb = c.event_cb, user = c.event_user](const event& e) {
      pinhole_event ev;
      fill(e, ev);
      cb(user, &ev);
    };
  }
  if (c.datagram_cb != nullptr) {
    // Per packet: the capture fits std::function's small buffer and fill()
    // formats into the stack, so nothing here allocates.
    o.on_datagram = [cb = c.datagram_cb, user = c.datagram_user](const mapping& m, const ip_endpoint& from,
                                                                 std::span<const std::byte> data) {
      pinhole_mapping cm;
      fill(m, cm);
      pinhole_endpoint f;
      fill(from, f);
      cb(user, &cm, &f, reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    };
  }
  return o;
}

}  // namespace pinhole::c_api

namespace {

using pinhole::c_api::parse;

bool valid_type(pinhole_port_type t) noexcept { return pinhole::port_type_from_int(static_cast<int>(t)).has_value(); }
std::size_t index(pinhole_port_type t) noexcept { return static_cast<std::size_t>(t); }

// Runs `f` on a non-null object, mapping allocation failures.
template <class F>
pinhole_errc with(pinhole_options* o, F f) noexcept {
  if (o == nullptr) return PINHOLE_E_INVALID_ARGUMENT;
  try {
    return f(*o);
  } catch (const std::bad_alloc&) {
    return PINHOLE_E_OUT_OF_MEMORY;
  } catch (...) {
    return PINHOLE_E_INVALID_ARGUMENT;
  }
}

pinhole_errc set_ms(pinhole_options* o, std::uint32_t ms, bool zero_ok,
                    std::chrono::milliseconds pinhole::options::*f) {
  return with(o, [&](pinhole_options& c) {
    if (ms == 0 && !zero_ok) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.*f = std::chrono::milliseconds(ms);
    return PINHOLE_OK;
  });
}

pinhole_errc set_flag(pinhole_options* o, int on, bool pinhole::options::*f) {
  return with(o, [&](pinhole_options& c) {
    c.o.*f = on != 0;
    return PINHOLE_OK;
  });
}

pinhole_errc set_bind(pinhole_options* o, const char* address, pinhole::ip_family fam,
                      std::string pinhole::options::*f) {
  return with(o, [&](pinhole_options& c) {
    pinhole::ip_endpoint e;
    if (!parse(address, 0, e) || e.family != fam) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.*f = e.ip_string();
    return PINHOLE_OK;
  });
}

}  // namespace

extern "C" {

pinhole_options* pinhole_options_new(void) {
  try {
    return new pinhole_options{};
  } catch (...) {
    return nullptr;
  }
}

void pinhole_options_free(pinhole_options* o) { delete o; }

pinhole_errc pinhole_options_add_server(pinhole_options* o, const char* server) {
  return with(o, [&](pinhole_options& c) {
    if (server == nullptr || *server == '\0') return PINHOLE_E_INVALID_ARGUMENT;
    if (!c.servers_given) c.o.servers.clear();
    c.o.servers.emplace_back(server);
    c.servers_given = true;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_clear_servers(pinhole_options* o) {
  return with(o, [](pinhole_options& c) {
    c.o.servers.clear();
    c.servers_given = true;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_use_srv(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::use_srv);
}

pinhole_errc pinhole_options_set_rto_ms(pinhole_options* o, uint32_t ms) {
  return with(o, [&](pinhole_options& c) {
    if (ms == 0) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.transaction.rto = std::chrono::milliseconds(ms);
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_rc(pinhole_options* o, uint32_t rc) {
  return with(o, [&](pinhole_options& c) {
    if (rc == 0) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.transaction.rc = rc;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_rm(pinhole_options* o, uint32_t rm) {
  return with(o, [&](pinhole_options& c) {
    if (rm == 0) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.transaction.rm = rm;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_call_timeout_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, false, &pinhole::options::call_timeout);
}

pinhole_errc pinhole_options_set_keepalive_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, false, &pinhole::options::keepalive_interval);
}

pinhole_errc pinhole_options_set_dns_refresh_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, true, &pinhole::options::dns_refresh);
}

pinhole_errc pinhole_options_set_port_range(pinhole_options* o, pinhole_port_type type, uint16_t min_port,
                                            uint16_t max_port) {
  return with(o, [&](pinhole_options& c) {
    const pinhole::port_range r{min_port, max_port};
    if (!valid_type(type) || (!r.any() && (r.min == 0 || r.min > r.max))) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.port_ranges[index(type)] = r;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_rtp_rtcp_pairs(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::rtp_rtcp_pairs);
}

pinhole_errc pinhole_options_set_prewarm(pinhole_options* o, pinhole_port_type type, uint32_t count) {
  return with(o, [&](pinhole_options& c) {
    if (!valid_type(type)) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.prewarm[index(type)] = count;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_bind_ipv4(pinhole_options* o, const char* address) {
  return set_bind(o, address, pinhole::ip_family::v4, &pinhole::options::bind_ipv4);
}

pinhole_errc pinhole_options_set_bind_ipv6(pinhole_options* o, const char* address) {
  return set_bind(o, address, pinhole::ip_family::v6, &pinhole::options::bind_ipv6);
}

pinhole_errc pinhole_options_set_credentials(pinhole_options* o, const char* username, const char* password) {
  return with(o, [&](pinhole_options& c) {
    if (username == nullptr) {
      c.o.auth.reset();
      return PINHOLE_OK;
    }
    if (password == nullptr) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.auth = pinhole::credentials{username, password};
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_fingerprint(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::fingerprint);
}

pinhole_errc pinhole_options_set_check_destination_dependence(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::check_destination_dependence);
}

pinhole_errc pinhole_options_set_monitor_network(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::monitor_network);
}

pinhole_errc pinhole_options_set_skip_keepalive_on_traffic(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::skip_keepalive_on_traffic);
}

pinhole_errc pinhole_options_set_explicit_keepalive_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, false, &pinhole::options::explicit_keepalive_interval);
}

pinhole_errc pinhole_options_set_event_callback(pinhole_options* o, pinhole_event_cb cb, void* user) {
  return with(o, [&](pinhole_options& c) {
    c.event_cb = cb;
    c.event_user = cb != nullptr ? user : nullptr;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_datagram_callback(pinhole_options* o, pinhole_datagram_cb cb, void* user) {
  return with(o, [&](pinhole_options& c) {
    c.datagram_cb = cb;
    c.datagram_user = cb != nullptr ? user : nullptr;
    return PINHOLE_OK;
  });
}

// Port mapping (issue 14).
pinhole_errc pinhole_options_set_port_mapping(pinhole_options* o, const pinhole_mapping_origin* order, size_t count) {
  return with(o, [&](pinhole_options& c) {
    if (count > 0 && order == nullptr) return PINHOLE_E_INVALID_ARGUMENT;
    std::vector<pinhole::mapping_origin> list;
    for (size_t i = 0; i < count; ++i) {
      if (order[i] < PINHOLE_ORIGIN_STUN || order[i] > PINHOLE_ORIGIN_UPNP) return PINHOLE_E_INVALID_ARGUMENT;
      list.push_back(static_cast<pinhole::mapping_origin>(order[i]));
    }
    c.o.port_mapping = std::move(list);
    return PINHOLE_OK;
  });
}

// TURN relays.
pinhole_errc pinhole_options_add_turn_server(pinhole_options* o, const char* uri, const char* username,
                                             const char* password) {
  return with(o, [&](pinhole_options& c) {
    if (uri == nullptr || username == nullptr || password == nullptr) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.turn_servers.push_back(pinhole::turn_server{uri, username, password});
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_add_portmap_gateway(pinhole_options* o, const char* address) {
  return with(o, [&](pinhole_options& c) {
    if (address == nullptr) {
      c.o.portmap_gateways.clear();
      return PINHOLE_OK;
    }
    if (!pinhole::ip_endpoint::parse(address, true)) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.portmap_gateways.emplace_back(address);
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_portmap_lifetime(pinhole_options* o, uint32_t seconds) {
  return with(o, [&](pinhole_options& c) {
    if (seconds == 0) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.portmap_lifetime = seconds;
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_prefer_relay(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::prefer_relay);
}

pinhole_errc pinhole_options_set_relay_attached_sockets(pinhole_options* o, int on) {
  return set_flag(o, on, &pinhole::options::relay_attached_sockets);
}

pinhole_errc pinhole_options_set_turn_lifetime_s(pinhole_options* o, uint32_t seconds) {
  return with(o, [&](pinhole_options& c) {
    if (seconds == 0) return PINHOLE_E_INVALID_ARGUMENT;
    c.o.turn_lifetime = std::chrono::seconds(seconds);
    return PINHOLE_OK;
  });
}

pinhole_errc pinhole_options_set_portmap_timeout_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, false, &pinhole::options::portmap_timeout);
}

pinhole_errc pinhole_options_set_portmap_upnp_timeout_ms(pinhole_options* o, uint32_t ms) {
  return set_ms(o, ms, false, &pinhole::options::portmap_upnp_timeout);
}

}  // extern "C"
