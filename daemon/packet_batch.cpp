#include "packet_batch.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "udp_socket.hpp"

namespace pinhole::daemon {

namespace {

bool fallback_forced() noexcept {
  const char* v = std::getenv("PINHOLE_NO_MMSG");
  return v != nullptr && v[0] == '1';
}

}  // namespace

packet_batch::packet_batch(std::size_t batch, std::size_t slot_size, io_mode mode)
    : mmsg_(mode == io_mode::automatic && !fallback_forced()),
      batch_(batch),
      slot_(slot_size),
      rx_data_(batch * slot_size),
      tx_data_(batch * slot_size),
      rx_msgs_(batch),
      tx_msgs_(batch),
      rx_iov_(batch),
      tx_iov_(batch),
      rx_names_(batch),
      tx_names_(batch),
      rx_control_(batch * control_size),
      tx_control_(batch * control_size),
      in_(batch),
      tx_ok_(batch),
      tx_tag_(batch) {}

int packet_batch::receive(int fd) noexcept {
  for (std::size_t i = 0; i < batch_; ++i) {
    rx_iov_[i] = iovec{rx_data_.data() + i * slot_, slot_};
    msghdr& h = rx_msgs_[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &rx_names_[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &rx_iov_[i];
    h.msg_iovlen = 1;
    h.msg_control = rx_control_.data() + i * control_size;
    h.msg_controllen = control_size;
  }
  int n = -1;
  if (mmsg_) {
    n = ::recvmmsg(fd, rx_msgs_.data(), static_cast<unsigned>(batch_), MSG_DONTWAIT, nullptr);
    if (n < 0 && errno == ENOSYS) mmsg_ = false;  // no recvmmsg here: per-datagram from now on
  }
  if (!mmsg_) n = receive_single(fd);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    const msghdr& h = rx_msgs_[i].msg_hdr;
    incoming& d = in_[i];
    const std::size_t len = rx_msgs_[i].msg_len;
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0 || len > slot_;
    d.payload = std::span<const std::byte>(rx_data_.data() + i * slot_, d.truncated ? 0 : len);
    d.has_local = false;
    d.ifindex = 0;
    if (!stun::from_sockaddr(rx_names_[i], d.peer)) d.truncated = true;
    // The local address the datagram reached (IP_PKTINFO / IPV6_PKTINFO).
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        d.local.fam = stun::family::ipv4;
        d.local.ip = {};
        std::memcpy(d.local.ip.data(), &pi.ipi_addr, 4);
        d.ifindex = static_cast<unsigned>(pi.ipi_ifindex);
        d.has_local = true;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        d.local.fam = stun::family::ipv6;
        std::memcpy(d.local.ip.data(), &pi.ipi6_addr, 16);
        d.ifindex = pi.ipi6_ifindex;
        d.has_local = true;
      }
    }
  }
  return n;
}

int packet_batch::receive_single(int fd) noexcept {
  // recvmsg into the same slots recvmmsg would fill. -1 (errno set) only when
  // nothing was read at all.
  int n = 0;
  while (static_cast<std::size_t>(n) < batch_) {
    mmsghdr& m = rx_msgs_[static_cast<std::size_t>(n)];
    const ssize_t len = ::recvmsg(fd, &m.msg_hdr, MSG_DONTWAIT);
    if (len < 0) {
      if (errno == EINTR) continue;
      return n > 0 ? n : -1;
    }
    m.msg_len = static_cast<unsigned>(len);
    ++n;
  }
  return n;
}

std::span<std::byte> packet_batch::tx_buffer() noexcept { return {tx_data_.data() + tx_count_ * slot_, slot_}; }

void packet_batch::queue(std::size_t size, const stun::transport_address& to, const incoming& via,
                         std::uint8_t tag) noexcept {
  const std::size_t i = tx_count_;
  tx_tag_[i] = tag;
  tx_ok_[i] = 0;
  tx_iov_[i] = iovec{tx_data_.data() + i * slot_, size};
  msghdr& h = tx_msgs_[i].msg_hdr;
  h = msghdr{};
  h.msg_name = &tx_names_[i];
  h.msg_namelen = stun::to_sockaddr(to, tx_names_[i]);
  h.msg_iov = &tx_iov_[i];
  h.msg_iovlen = 1;
  if (via.has_local && via.local.fam == to.fam) {
    // Answer from the address the request reached, so a client talking to a
    // multi-homed host sees the reply come from where it sent.
    std::byte* ctl = tx_control_.data() + i * control_size;
    std::memset(ctl, 0, control_size);
    h.msg_control = ctl;
    cmsghdr* c = nullptr;
    if (to.fam == stun::family::ipv4) {
      h.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo pi{};
      std::memcpy(&pi.ipi_spec_dst, via.local.ip.data(), 4);
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
      h.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&h);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo pi{};
      std::memcpy(&pi.ipi6_addr, via.local.ip.data(), 16);
      pi.ipi6_ifindex = via.ifindex;  // needed for link-local addresses
      std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  }
  ++tx_count_;
  tx_bytes_ += size;
}

std::size_t packet_batch::flush(int fd) noexcept {
  std::size_t sent = 0;
  std::size_t next = 0;
  while (next < tx_count_) {
    if (!mmsg_) {
      sent += flush_single(fd, next);
      break;
    }
    const int n = ::sendmmsg(fd, tx_msgs_.data() + next, static_cast<unsigned>(tx_count_ - next), MSG_DONTWAIT);
    if (n < 0 && errno == ENOSYS) {
      mmsg_ = false;  // no sendmmsg here: per-datagram from now on
      continue;
    }
    if (n > 0) {
      for (std::size_t k = next; k < next + static_cast<std::size_t>(n); ++k) tx_ok_[k] = 1;
      sent += static_cast<std::size_t>(n);
      next += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The datagram at `next` failed (full buffer, unreachable, bad address):
    // skip it (tx_ok_ stays 0) and keep going with the rest.
    ++next;
  }
  tx_count_ = 0;
  tx_bytes_ = 0;
  return sent;
}

std::size_t packet_batch::flush_single(int fd, std::size_t from) noexcept {
  std::size_t sent = 0;
  for (std::size_t i = from; i < tx_count_; ++i) {
    ssize_t n = 0;
    do {
      n = ::sendmsg(fd, &tx_msgs_[i].msg_hdr, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
      tx_ok_[i] = 1;
      ++sent;  // a failed datagram is skipped, as with sendmmsg
    }
  }
  return sent;
}

bool packet_batch::send_one(int fd, std::span<const std::byte> data, const stun::transport_address& to) noexcept {
  sockaddr_storage ss;
  const socklen_t len = stun::to_sockaddr(to, ss);
  return ::sendto(fd, data.data(), data.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&ss), len) ==
         static_cast<ssize_t>(data.size());
}

}  // namespace pinhole::daemon
