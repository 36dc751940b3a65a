// The descriptors of the mappings handed out, by internal endpoint, readable
// from any thread: port_manager::send() is a plain sendto() from the
// caller's thread (also from the library's own callbacks) instead of a trip
// through the io thread. The io thread removes an entry before it closes the
// descriptor, under the same lock a sender holds, so a send never reaches a
// descriptor number the kernel has already given to somebody else.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <shared_mutex>
#include <span>
#include <system_error>

#include "address_conv.hpp"
#include "pinhole/types.hpp"

namespace pinhole::client {

class socket_directory {
 public:
  void add(const ip_endpoint& internal, int fd);
  void remove(const ip_endpoint& internal);
  // errc::unknown_mapping, family_not_supported or socket_error. No
  // allocation: this is the media path.
  std::error_code send(const ip_endpoint& internal, const ip_endpoint& to,
                       std::span<const std::byte> data) const noexcept;
  bool contains(const ip_endpoint& internal) const;
  // When send() last succeeded for `internal` (the application's own
  // traffic: options::skip_keepalive_on_traffic); epoch if never.
  std::chrono::steady_clock::time_point last_send(const ip_endpoint& internal) const;

 private:
  struct entry {
    explicit entry(int f) : fd(f) {}
    int fd;
    mutable std::atomic<std::int64_t> last_send{0};  // steady_clock ticks, written under the shared lock
  };
  mutable std::shared_mutex m_;
  std::map<ip_endpoint, entry, endpoint_less> fds_;
};

}  // namespace pinhole::client
