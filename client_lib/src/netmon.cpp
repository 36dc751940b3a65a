// rtnetlink monitor: parser and socket. See netmon.hpp.
#include "netmon.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pinhole::client {

namespace {

template <class T>
bool read_struct(std::span<const std::byte> b, std::size_t at, T& out) noexcept {
  if (at > b.size() || b.size() - at < sizeof(T)) return false;
  std::memcpy(&out, b.data() + at, sizeof(T));
  return true;
}

// A route change that can move traffic: not the kernel's local/broadcast
// table entries, not cached clones.
bool is_traffic_route(const rtmsg& r) noexcept {
  if (r.rtm_table == RT_TABLE_LOCAL || (r.rtm_flags & RTM_F_CLONED) != 0) return false;
  return r.rtm_type == RTN_UNICAST || r.rtm_type == RTN_UNREACHABLE || r.rtm_type == RTN_BLACKHOLE ||
         r.rtm_type == RTN_PROHIBIT || r.rtm_type == RTN_THROW;
}

// One message of `len` bytes (header included) at `at`; false if its payload
// is shorter than its type requires.
bool classify(std::span<const std::byte> b, std::size_t at, const nlmsghdr& h, netmon_summary& s) noexcept {
  const auto payload = at + NLMSG_HDRLEN;
  const auto body = std::span<const std::byte>(b.data(), at + h.nlmsg_len);
  switch (h.nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      ifinfomsg m{};
      if (!read_struct(body, payload, m)) return false;
      ++s.links;
      return true;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      ifaddrmsg m{};
      if (!read_struct(body, payload, m)) return false;
      ++s.addresses;
      return true;
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      rtmsg m{};
      if (!read_struct(body, payload, m)) return false;
      if (!is_traffic_route(m)) {
        ++s.ignored;
        return true;
      }
      ++s.routes;
      if (m.rtm_dst_len == 0) ++s.default_routes;
      return true;
    }
    case NLMSG_ERROR: {
      nlmsgerr e{};
      if (!read_struct(body, payload, e)) return false;
      if (e.error == -ENOBUFS)
        s.overrun = true;
      else
        ++s.ignored;
      return true;
    }
    default:
      ++s.ignored;  // NLMSG_DONE, NLMSG_NOOP, neighbour or rule messages
      return true;
  }
}

}  // namespace

netmon_summary netmon_parse(std::span<const std::byte> datagram) noexcept {
  netmon_summary s;
  std::size_t at = 0;
  while (datagram.size() - at >= NLMSG_HDRLEN) {
    nlmsghdr h{};
    read_struct(datagram, at, h);
    // nlmsg_len covers the header and must fit in what is left.
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > datagram.size() - at) {
      ++s.malformed;
      return s;
    }
    if (!classify(datagram, at, h, s)) {
      ++s.malformed;
      return s;
    }
    const std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= datagram.size() - at) return s;
    at += step;
  }
  if (at < datagram.size()) ++s.malformed;  // a trailing fragment shorter than a header
  return s;
}

netmon::netmon(boost::asio::io_context& io, std::chrono::milliseconds debounce, changed_fn on_change)
    : sock_(io), debounce_timer_(io), debounce_(debounce), on_change_(std::move(on_change)), buf_(16384) {}

netmon::~netmon() {
  try {
    stop();
  } catch (...) {
    // asio's cancel() and close() throw only if the reactor fails; a destructor must not throw.
  }
}

std::error_code netmon::start() {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return {errno, std::system_category()};
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const std::error_code ec{errno, std::system_category()};
    ::close(fd);
    return ec;
  }
  boost::system::error_code bec;
  sock_.assign(fd, bec);
  if (bec) {
    ::close(fd);
    return {bec.value(), std::system_category()};
  }
  arm();
  return {};
}

void netmon::stop() {
  stopped_ = true;
  debounce_timer_.cancel();
  boost::system::error_code ignored;
  if (sock_.is_open()) sock_.close(ignored);
}

void netmon::arm() {
  if (stopped_) return;
  sock_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    // Drain what is queued; each datagram is one or more messages.
    for (int i = 0; i < 64; ++i) {
      sockaddr_nl from{};
      socklen_t len = sizeof from;
      const auto n = ::recvfrom(sock_.native_handle(), buf_.data(), buf_.size(), MSG_DONTWAIT,
                                reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        // ENOBUFS: the kernel dropped notifications for us; something
        // changed, re-check everything. Then go on reading.
        if (err == ENOBUFS) {
          note_change();
          continue;
        }
        break;  // EAGAIN: drained
      }
      if (from.nl_pid != 0) continue;  // only the kernel speaks for the routing tables
      if (netmon_parse(std::span<const std::byte>(buf_.data(), static_cast<std::size_t>(n))).changed()) note_change();
    }
    arm();
  });
}

void netmon::note_change() {
  if (pending_) return;  // this burst already has its callback scheduled
  pending_ = true;
  debounce_timer_.expires_after(debounce_);
  debounce_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop(): touch nothing
    pending_ = false;
    if (stopped_) return;
    ++changes_;
    if (on_change_) on_change_();
  });
}

}  // namespace pinhole::client
