// A blocking test UDP endpoint with receive timeouts, for integration tests
// over real sockets. Header-only; uses the daemon's sockaddr helpers.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "stun/address.hpp"
#include "stun/sockaddr.hpp"

namespace pinhole::test {

class udp_peer {
 public:
  explicit udp_peer(const stun::transport_address& local) {
    fd_ = ::socket(stun::address_family(local.fam), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_storage ss;
    const auto len = stun::to_sockaddr(local, ss);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) throw std::runtime_error("bind " + local.to_string());
    socklen_t l = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &l);
    stun::from_sockaddr(ss, local_);
  }
  udp_peer(const udp_peer&) = delete;
  udp_peer& operator=(const udp_peer&) = delete;
  ~udp_peer() { ::close(fd_); }

  const stun::transport_address& local() const { return local_; }
  int fd() const { return fd_; }

  void send_to(std::span<const std::byte> data, const stun::transport_address& to) const {
    sockaddr_storage ss;
    const auto len = stun::to_sockaddr(to, ss);
    if (::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      throw std::runtime_error("sendto " + to.to_string());
    }
  }

  struct datagram {
    std::vector<std::byte> bytes;
    stun::transport_address from;
  };
  std::optional<datagram> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    datagram d;
    d.bytes.resize(65536);
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const auto n = ::recvfrom(fd_, d.bytes.data(), d.bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return std::nullopt;
    d.bytes.resize(static_cast<std::size_t>(n));
    stun::from_sockaddr(ss, d.from);
    return d;
  }

 private:
  int fd_ = -1;
  stun::transport_address local_;
};

}  // namespace pinhole::test
