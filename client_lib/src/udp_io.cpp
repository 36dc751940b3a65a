// UDP socket helpers with ICMP error reporting.
#include "udp_io.hpp"

#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "address_conv.hpp"

namespace pinhole::client {

namespace {

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

std::error_code enable_recverr(int fd, ip_family fam) noexcept {
  const int on = 1;
  const int rc = fam == ip_family::v4 ? ::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on)
                                      : ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
  return rc == 0 ? std::error_code{} : last_error();
}

bool is_unreachable_errno(int e) noexcept {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN;
}

// Drains one queued ICMP error; its msg_name is "the original destination
// address of the datagram that caused the error" (ip(7), IP_RECVERR).
bool read_error_queue(int fd, received& out) noexcept {
  std::byte data[64];
  alignas(cmsghdr) std::byte control[512];
  sockaddr_storage name{};
  iovec iov{data, sizeof data};
  msghdr msg{};
  msg.msg_name = &name;
  msg.msg_namelen = sizeof name;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return false;
  out.kind = received::unreachable;
  out.ec = std::error_code(ECONNREFUSED, std::system_category());
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
      sock_extended_err ee{};
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      if (ee.ee_errno != 0) out.ec = std::error_code(static_cast<int>(ee.ee_errno), std::system_category());
    }
  }
  from_sockaddr(name, out.peer);
  return true;
}

}  // namespace

int open_udp(ip_family fam, std::error_code& ec) noexcept {
  const int fd = ::socket(address_family(fam), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_error();
    return -1;
  }
  if (fam == ip_family::v6) {
    const int on = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  if ((ec = enable_recverr(fd, fam))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::error_code prepare_adopted(int fd, ip_family& fam) noexcept {
  int type = 0;
  socklen_t len = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return last_error();
  if (type != SOCK_DGRAM) return std::make_error_code(std::errc::wrong_protocol_type);
  const auto local = local_endpoint(fd);
  if (!local || local->port == 0) return std::make_error_code(std::errc::invalid_argument);  // must be bound
  fam = local->family;
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return last_error();
  return enable_recverr(fd, fam);
}

std::error_code bind_udp(int fd, const ip_endpoint& local) noexcept {
  sockaddr_storage ss;
  const auto len = to_sockaddr(local, ss);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) return last_error();
  return {};
}

std::optional<ip_endpoint> local_endpoint(int fd) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  ip_endpoint e;
  if (!from_sockaddr(ss, e)) return std::nullopt;
  return e;
}

std::error_code send_udp(int fd, std::span<const std::byte> data, const ip_endpoint& to) noexcept {
  sockaddr_storage ss;
  const auto len = to_sockaddr(to, ss);
  for (int attempt = 0; attempt < 4; ++attempt) {
    // MSG_DONTWAIT: an application-owned socket may be blocking; a full send
    // buffer must not stall the io thread (or the caller of send()).
    const auto n = ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                            reinterpret_cast<const sockaddr*>(&ss), len);
    if (n >= 0) return {};
    // A pending ICMP error is reported by the next call on the socket, even a
    // send; it concerns an earlier datagram, so retry.
    if (is_unreachable_errno(errno) || errno == EINTR) continue;
    return last_error();
  }
  return last_error();
}

received receive_udp(int fd, std::span<std::byte> buffer) noexcept {
  received r;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  const auto n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
  if (n >= 0) {
    r.kind = received::datagram;
    r.size = static_cast<std::size_t>(n);
    from_sockaddr(ss, r.peer);
    return r;
  }
  const int e = errno;
  if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
    // The error queue can hold an entry even when sk_err was consumed by send.
    if (read_error_queue(fd, r)) return r;
    r.kind = received::would_block;
    return r;
  }
  if (is_unreachable_errno(e)) {
    if (read_error_queue(fd, r)) return r;
    r.kind = received::unreachable;  // destination unknown
    r.ec = std::error_code(e, std::system_category());
    return r;
  }
  r.kind = received::error;
  r.ec = std::error_code(e, std::system_category());
  return r;
}

std::optional<ip_endpoint> route_source(const ip_endpoint& to) noexcept {
  const int fd = ::socket(address_family(to.family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_storage ss;
  const auto len = to_sockaddr(to, ss);
  std::optional<ip_endpoint> out;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0) out = local_endpoint(fd);
  ::close(fd);
  if (out) out->port = 0;
  return out;
}

}  // namespace pinhole::client
