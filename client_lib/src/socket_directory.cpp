#include "socket_directory.hpp"

#include <mutex>

#include "pinhole/errors.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

void socket_directory::add(const ip_endpoint& internal, int fd) {
  std::unique_lock lk(m_);
  fds_.erase(internal);
  fds_.try_emplace(internal, fd);
}

void socket_directory::remove(const ip_endpoint& internal) {
  std::unique_lock lk(m_);
  fds_.erase(internal);
}

bool socket_directory::contains(const ip_endpoint& internal) const {
  std::shared_lock lk(m_);
  return fds_.count(internal) != 0;
}

std::chrono::steady_clock::time_point socket_directory::last_send(const ip_endpoint& internal) const {
  std::shared_lock lk(m_);
  const auto it = fds_.find(internal);
  if (it == fds_.end()) return {};
  return std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(it->second.last_send.load(std::memory_order_relaxed)));
}

std::error_code socket_directory::send(const ip_endpoint& internal, const ip_endpoint& to,
                                       std::span<const std::byte> data) const noexcept {
  try {
    std::shared_lock lk(m_);
    const auto it = fds_.find(internal);
    if (it == fds_.end()) return make_error_code(errc::unknown_mapping);
    if (to.family != internal.family) return make_error_code(errc::family_not_supported);
    // Held while sending: the descriptor cannot be closed under us.
    if (send_udp(it->second.fd, data, to)) return make_error_code(errc::socket_error);
    it->second.last_send.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    return {};
  } catch (...) {
    return make_error_code(errc::socket_error);  // the lock itself failed
  }
}

}  // namespace pinhole::client
