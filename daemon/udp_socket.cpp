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
  if (!stun::from_sockaddr(ss, bound)) return std::make_error_code(std::errc::address_family_not_supported);
  return {};
}

}  // namespace

std::error_code open_udp_socket(const stun::transport_address& addr, const socket_options& opt, int& fd_out,
                                stun::transport_address& bound) noexcept {
  const int family = stun::address_family(addr.fam);
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
  if (addr.is_unspecified()) {
    if (auto ec = enable_pktinfo(fd, family)) {
      ::close(fd);
      return ec;
    }
  }
  sockaddr_storage ss{};
  const socklen_t len = stun::to_sockaddr(addr, ss);
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
  if (!bound.is_unspecified()) return {};  // see open_udp_socket
  return enable_pktinfo(fd, stun::address_family(bound.fam));
}

}  // namespace pinhole::daemon
