#include "udp_socket.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace pinhole::daemon {
namespace {

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

std::error_code enable_pktinfo(int fd, int family) noexcept {
  const int on = 1;
  if (family == AF_INET) {
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0) return last_error();
  } else {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) != 0) return last_error();
  }
  return {};
}

std::error_code bound_address(int fd, stun::transport_address& bound) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return last_error();
  if (!from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), bound)) return std::make_error_code(std::errc::address_family_not_supported);
  return {};
}

}  // namespace

bool is_wildcard(const stun::transport_address& a) noexcept {
  for (std::size_t i = 0; i < a.ip_size(); ++i) {
    if (a.ip[i] != 0) return false;
  }
  return true;
}

bool is_v4_mapped(const stun::transport_address& a) noexcept {
  if (a.fam != stun::family::ipv6) return false;
  for (std::size_t i = 0; i < 10; ++i) {
    if (a.ip[i] != 0) return false;
  }
  return a.ip[10] == 0xff && a.ip[11] == 0xff;
}

stun::transport_address unmap_v4(const stun::transport_address& a) noexcept {
  if (!is_v4_mapped(a)) return a;
  stun::transport_address out;
  out.fam = stun::family::ipv4;
  std::memcpy(out.ip.data(), a.ip.data() + 12, 4);
  out.port = a.port;
  return out;
}

stun::transport_address map_v4(const stun::transport_address& a) noexcept {
  if (a.fam != stun::family::ipv4) return a;
  stun::transport_address out;
  out.fam = stun::family::ipv6;
  out.ip[10] = 0xff;
  out.ip[11] = 0xff;
  std::memcpy(out.ip.data() + 12, a.ip.data(), 4);
  out.port = a.port;
  return out;
}

socklen_t to_sockaddr(const stun::transport_address& a, sockaddr_storage& out) noexcept {
  std::memset(&out, 0, sizeof out);
  if (a.fam == stun::family::ipv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a.port);
    std::memcpy(&sin->sin_addr, a.ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(a.port);
  std::memcpy(&sin6->sin6_addr, a.ip.data(), 16);
  return sizeof(sockaddr_in6);
}

bool from_sockaddr(const sockaddr* sa, stun::transport_address& out) noexcept {
  if (sa->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    out.fam = stun::family::ipv4;
    out.ip = {};
    std::memcpy(out.ip.data(), &sin->sin_addr, 4);
    out.port = ntohs(sin->sin_port);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    out.fam = stun::family::ipv6;
    std::memcpy(out.ip.data(), &sin6->sin6_addr, 16);
    out.port = ntohs(sin6->sin6_port);
    return true;
  }
  return false;
}

std::error_code open_udp_socket(const stun::transport_address& addr, const socket_options& opt, int& fd_out,
                                stun::transport_address& bound) noexcept {
  const int family = addr.fam == stun::family::ipv4 ? AF_INET : AF_INET6;
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return last_error();
  const auto fail = [fd]() noexcept {
    const auto ec = last_error();
    ::close(fd);
    return ec;
  };
  const int on = 1;
  // SO_REUSEPORT, never SO_REUSEADDR (see udp_socket.hpp). An exclusive bind
  // sets it only once bound.
  const bool share_now = opt.reuse_port && !opt.exclusive;
  if (share_now && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) return fail();
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) return fail();
  // Buffer sizes are a request; the kernel caps them at net.core.*mem_max.
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.receive_buffer, sizeof opt.receive_buffer);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt.send_buffer, sizeof opt.send_buffer);
  // PKTINFO tells a wildcard socket which local address a datagram reached,
  // so the answer can leave from it. A socket bound to one address needs no
  // help (the kernel sends from it) and skips the control messages both ways.
  if (is_wildcard(addr)) {
    if (auto ec = enable_pktinfo(fd, family)) {
      ::close(fd);
      return ec;
    }
  }
  sockaddr_storage ss{};
  const socklen_t len = to_sockaddr(addr, ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return fail();
  // Set after bind, SO_REUSEPORT still lets later sockets of this uid (the
  // other workers' sockets) join this one's reuseport group.
  if (opt.reuse_port && opt.exclusive && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) return fail();
  if (auto ec = bound_address(fd, bound)) {
    ::close(fd);
    return ec;
  }
  fd_out = fd;
  return {};
}

std::error_code adopt_udp_socket(int fd, stun::transport_address& bound) noexcept {
  if (auto ec = bound_address(fd, bound)) return ec;
  // systemd (and systemd-socket-activate) bind with SO_REUSEADDR, which would
  // let a process of any user bind the same address and take our datagrams.
  // Cleared, the kernel refuses such binds from now on (a socket bound
  // before this point keeps its place: see README, "Port ownership").
  const int off = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof off) != 0) return last_error();
  // The socket outlives us (systemd keeps it across restarts): a deep
  // receive queue holds the requests that arrive while no pinholed runs.
  // Only ever grow it; ReceiveBuffer= in the .socket unit can go further.
  const socket_options opt;
  int have = 0;
  socklen_t len = sizeof have;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &have, &len) == 0 && have < opt.receive_buffer) {
    // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN (root
    // without systemd); otherwise fall back to the capped request.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &opt.receive_buffer, sizeof opt.receive_buffer) != 0) {
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.receive_buffer, sizeof opt.receive_buffer);
    }
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return last_error();
  if (!is_wildcard(bound)) return {};  // see open_udp_socket
  return enable_pktinfo(fd, bound.fam == stun::family::ipv4 ? AF_INET : AF_INET6);
}

}  // namespace pinhole::daemon
