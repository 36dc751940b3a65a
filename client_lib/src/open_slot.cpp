// manager_core: a slot's socket. Binds in the configured port range (an
// RTP/RTCP pair when asked), picks the internal address SDP can carry, and
// wraps the descriptor in a mapped_socket.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "manager_core.hpp"
#include "pinhole/errors.hpp"
#include "port_allocator.hpp"
#include "random.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

std::optional<ip_endpoint> manager_core::local_ip_for(ip_family fam) {
  const auto configured = ip_endpoint::parse_ip(fam == ip_family::v4 ? opts_.bind_ipv4 : opts_.bind_ipv6, 0);
  if (configured && configured->family == fam && !configured->is_unspecified()) return configured;
  // An unspecified bind address would make the internal address useless in
  // SDP; use the source address the kernel routes towards the server.
  for (const auto& s : servers_.candidates(fam, clock::now())) {
    if (auto src = route_source(s)) return src;
  }
  return std::nullopt;
}

std::shared_ptr<slot> manager_core::wrap(int fd, const ip_endpoint& local, port_type type, slot_state initial,
                                         socket_owner owned_by) {
  auto s = std::make_shared<slot>(io_);
  s->id = next_id_++;
  s->type = type;
  s->internal = local;
  s->state = initial;
  s->owned_by = owned_by;
  s->sock = make_socket(s, fd, local);
  slots_[s->id] = s;
  return s;
}

std::shared_ptr<mapped_socket> manager_core::make_socket(const std::shared_ptr<slot>& s, int fd,
                                                         const ip_endpoint& local) {
  auto sock = std::make_shared<mapped_socket>(io_, fd, local, rx_, counters_,
                                              s->attached() ? &attached_txids_ : nullptr, s->id);
  std::weak_ptr<slot> weak = s;
  sock->set_datagram_handler([this, weak](const ip_endpoint& from, std::span<const std::byte> data) {
    const auto sp = weak.lock();
    if (sp && !sp->released() && sp->relay && relay_receive(sp, from, data)) return;
    if (!sp || sp->released() || !opts_.on_datagram) return;
    try {
      opts_.on_datagram(snapshot(*sp), from, data);
    } catch (...) {
      // Application exceptions must not unwind through the event loop.
    }
  });
  sock->start();
  return sock;
}

std::error_code manager_core::open_slot(ip_family fam, port_type type, const std::optional<ip_endpoint>& fixed,
                                        std::shared_ptr<slot>& out) {
  std::optional<ip_endpoint> ip = fixed;
  if (!ip || ip->is_unspecified()) {
    const auto port = ip ? ip->port : std::uint16_t{0};
    ip = local_ip_for(fam);
    if (!ip) ip = ip_endpoint::any(fam);
    ip->port = port;
  }
  const auto range = opts_.port_ranges[static_cast<std::size_t>(type)];
  const bool pair = opts_.rtp_rtcp_pairs && !is_rtcp(type) && type != port_type::sip && !(fixed && fixed->port != 0);
  int fd = -1;
  int fd2 = -1;
  std::error_code ec;
  auto bind_one = [&](int& f, std::uint16_t p) -> std::error_code {
    std::error_code e;
    f = open_udp(fam, e);
    if (f < 0) return e;
    ip_endpoint local = *ip;
    local.port = p;
    if ((e = bind_udp(f, local))) {
      ::close(f);
      f = -1;
      return e == std::errc::address_in_use ? make_error_code(errc::address_in_use) : e;
    }
    return {};
  };
  std::uint16_t port = 0;
  if (fixed && fixed->port != 0) {
    ec = bind_one(fd, fixed->port);
  } else if (pair) {
    ec = allocate_pair(
        range, random_below(65536),
        [&](std::uint16_t p) -> std::error_code {
          if (auto e = bind_one(fd, p)) return e;
          if (auto e = bind_one(fd2, static_cast<std::uint16_t>(p + 1U))) {
            ::close(fd);
            fd = -1;
            return e;
          }
          return {};
        },
        port);
  } else {
    ec = allocate_port(
        range, random_below(65536), [&](std::uint16_t p) { return bind_one(fd, p); }, port);
  }
  if (ec) return ec == std::errc::address_in_use ? make_error_code(errc::address_in_use) : ec;
  const auto local = local_endpoint(fd);
  if (!local) {
    ::close(fd);
    if (fd2 >= 0) ::close(fd2);
    return make_error_code(errc::socket_error);
  }
  out = wrap(fd, *local, type);
  if (fd2 >= 0) {
    auto rtcp = wrap(fd2, *local_endpoint(fd2), *rtcp_partner(type), slot_state::reserved);
    rtcp->owner = out->id;
    out->rtcp_reserved = rtcp->id;
    reserved_rtcp_.push_back(rtcp->id);
  }
  return {};
}

}  // namespace pinhole::client
