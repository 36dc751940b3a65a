// manager_core's relayed mappings (TURN, RFC 8656): the TURN servers of the
// options, the fallback of GetMapping when no direct mapping can work, the
// permission of UpdateRemoteAddress, and the unwrapping of relayed
// datagrams. The allocation itself is turn_client.cpp.
#include <netdb.h>
#include <sys/socket.h>

#include "address_conv.hpp"
#include "manager_core.hpp"
#include "pinhole/errors.hpp"
#include "turn_client.hpp"

namespace pinhole::client {

namespace {

constexpr std::uint16_t default_turn_port = 3478;  // RFC 8656 §4: "the default port for TURN is 3478"

std::optional<ip_endpoint> lookup(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return std::nullopt;
  std::optional<ip_endpoint> out;
  for (auto* a = res; a != nullptr && !out; a = a->ai_next) {
    ip_endpoint e;
    if (from_sockaddr(a->ai_addr, e)) {
      e.port = port;
      out = e;
    }
  }
  ::freeaddrinfo(res);
  return out;
}

}  // namespace

std::error_code parse_turn_uri(std::string_view uri, ip_endpoint& out) {
  // RFC 7065 §3.1: turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ]
  constexpr std::string_view scheme = "turn:";
  if (uri.substr(0, scheme.size()) != scheme) return make_error_code(errc::invalid_argument);
  auto rest = uri.substr(scheme.size());
  if (const auto q = rest.find("?transport="); q != std::string_view::npos) {
    if (rest.substr(q + 11) != "udp") return make_error_code(errc::unsupported_transport);
    rest = rest.substr(0, q);
  }
  if (rest.empty()) return make_error_code(errc::invalid_argument);
  if (auto e = ip_endpoint::parse(rest, true)) {
    if (e->port == 0) e->port = default_turn_port;
    out = *e;
    return {};
  }
  std::string host(rest);
  std::uint16_t port = default_turn_port;
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(':') == colon) {
    const auto p = rest.substr(colon + 1);
    unsigned v = 0;
    for (char c : p) {
      if (c < '0' || c > '9' || (v = v * 10 + static_cast<unsigned>(c - '0')) > 65535) {
        return make_error_code(errc::invalid_argument);
      }
    }
    if (p.empty() || v == 0) return make_error_code(errc::invalid_argument);
    port = static_cast<std::uint16_t>(v);
    host = std::string(rest.substr(0, colon));
  }
  if (host.empty() || host.front() == '[') return make_error_code(errc::invalid_argument);
  const auto e = lookup(host, port);
  if (!e) return make_error_code(errc::resolve_failed);
  out = *e;
  return {};
}

std::error_code parse_turn_servers(const std::vector<turn_server>& in, std::vector<turn_target>& out) {
  out.clear();
  for (const auto& t : in) {
    turn_target target;
    if (const auto ec = parse_turn_uri(t.uri, target.server)) return ec;
    target.auth = credentials{t.username, t.password};
    out.push_back(std::move(target));
  }
  return {};
}

bool manager_core::relay_fallback(std::error_code ec) const noexcept {
  if (relays_.empty()) return false;
  // A direct mapping cannot work: the NAT maps per destination, or no STUN
  // server can be reached (UDP to it blocked).
  return ec == errc::destination_dependent_mapping || ec == errc::timeout || ec == errc::server_unreachable ||
         ec == errc::no_servers || ec == errc::bad_response;
}

bool manager_core::has_relay(ip_family fam) const noexcept {
  for (const auto& r : relays_) {
    if (r.server.family == fam) return true;
  }
  return false;
}

void manager_core::map_relayed(const ip_endpoint& remote, port_type type, clock::time_point deadline,
                               const done_fn& done) {
  if (!has_relay(remote.family)) return done(make_error_code(errc::family_not_supported), mapping{});
  std::shared_ptr<slot> s;
  if (const auto ec = open_slot(remote.family, type, std::nullopt, s); ec) return done(ec, mapping{});
  s->remote = remote;
  try_relay(s, 0, make_error_code(errc::no_servers), deadline, done);
}

void manager_core::try_relay(const std::shared_ptr<slot>& s, std::size_t i, std::error_code last,
                             clock::time_point deadline, const done_fn& done) {
  while (i < relays_.size() && relays_[i].server.family != s->internal.family) ++i;
  if (i >= relays_.size() || clock::now() >= deadline || s->released()) {
    destroy(s);
    return done(last, mapping{});
  }
  turn_config cfg;
  cfg.server = relays_[i].server;
  cfg.auth = relays_[i].auth;
  cfg.lifetime = static_cast<std::uint32_t>(std::clamp<std::int64_t>(opts_.turn_lifetime.count(), 1, 86400));
  cfg.tx = opts_.transaction;
  cfg.fingerprint = opts_.fingerprint;
  cfg.relay_family = s->remote.family;
  cfg.challenges = challenges_;
  if (s->relay) s->relay->deallocate();
  s->relay = std::make_shared<turn_allocation>(io_, s->sock, std::move(cfg), relays_directory_, s->internal);
  const auto relay = s->relay;
  relay->allocate(deadline, [this, s, i, relay, deadline, done](std::error_code ec) {
    if (s->released() || s->relay != relay) return done(make_error_code(errc::shutting_down), mapping{});
    // A server that refused us (credentials, quota, capacity) or is down:
    // the next one, within the same budget.
    if (ec) return try_relay(s, i + 1, ec, deadline, done);
    s->learn(relay->relayed(), relay->server(), mapping_origin::turn);
    std::weak_ptr<slot> weak = s;
    relay->on_lost([this, weak](std::error_code why) {
      const auto sp = weak.lock();
      if (!sp || sp->released()) return;
      report_lost(sp, why);
    });
    if (s->remote.is_unspecified()) {
      hand_out(s, s->remote);
      return done({}, snapshot(*s));
    }
    // The remote's permission before the mapping is handed out: its first
    // packets through the relay are then delivered.
    relay->permit(s->remote, deadline, [this, s, done](std::error_code pec) {
      if (s->released()) return done(make_error_code(errc::shutting_down), mapping{});
      if (pec) {
        destroy(s);
        return done(pec, mapping{});
      }
      hand_out(s, s->remote);
      done({}, snapshot(*s));
    });
  });
}

void manager_core::relay_update(const std::shared_ptr<slot>& s, const ip_endpoint& remote, clock::time_point deadline,
                                const done_fn& done) {
  // RFC 8656 §9: a permission is needed for each peer IP that may send
  // through the relay.
  s->remote = remote;
  s->relay->permit(remote, deadline, [this, s, done](std::error_code ec) {
    if (s->released()) return done(make_error_code(errc::unknown_mapping), mapping{});
    done(ec, snapshot(*s));
  });
}

bool manager_core::relay_receive(const std::shared_ptr<slot>& s, const ip_endpoint& from,
                                 std::span<const std::byte> data) {
  ip_endpoint peer;
  std::span<const std::byte> payload;
  switch (s->relay->on_datagram(from, data, peer, payload)) {
    case turn_allocation::rx::not_turn: return false;
    case turn_allocation::rx::consumed: return true;
    case turn_allocation::rx::data: break;
  }
  if (!opts_.on_datagram) return true;
  try {
    opts_.on_datagram(snapshot(*s), peer, payload);
  } catch (...) {
    // Application exceptions must not unwind through the event loop.
  }
  return true;
}

bool manager_core::relay_answer(const std::shared_ptr<slot>& s, const ip_endpoint& from,
                                std::span<const std::byte> data) {
  ip_endpoint peer;
  std::span<const std::byte> payload;
  return s->relay->on_datagram(from, data, peer, payload) != turn_allocation::rx::not_turn;
}

void manager_core::attach_relayed(const std::shared_ptr<slot>& s, const ip_endpoint& remote, clock::time_point deadline,
                                  const done_fn& done) {
  s->remote = remote;
  if (opts_.prefer_relay) return try_relay(s, 0, make_error_code(errc::no_servers), deadline, done);
  // As GetMapping: STUN with half the budget, the relay when no direct
  // mapping can work. A failed first mapping destroyed its slot (the
  // descriptor stays the application's): the relay gets a new one on it.
  const auto half = clock::now() + (deadline - clock::now()) / 2;
  const int fd = s->sock->native_handle();
  const auto local = s->internal;
  const auto type = s->type;
  map_and_hand_out(s, remote, half,
                   [this, fd, local, type, remote, deadline, done](std::error_code ec, const mapping& m) {
                     if (!relay_fallback(ec) || stopping_) return done(ec, m);
                     if (find_internal(local)) return done(make_error_code(errc::address_in_use), mapping{});
                     const auto again = wrap(fd, local, type, slot_state::mapping, socket_owner::application);
                     again->remote = remote;
                     try_relay(again, 0, ec, deadline, done);
                   });
}

void manager_core::relay_release(const std::shared_ptr<slot>& s) {
  if (!s->relay) return;
  s->relay->deallocate();
}

}  // namespace pinhole::client
