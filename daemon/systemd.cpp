#include "systemd.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace pinhole::daemon::systemd {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "systemd"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_udp_socket: return "inherited descriptor is not an IPv4/IPv6 UDP socket";
      case errc::no_sockets: return "socket activation passed no sockets";
    }
    return "unknown systemd error";
  }
};

bool env_set(const char* name) noexcept {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

const std::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

bool notify(std::string_view state) {
  if (!notify_socket_set()) return false;
  const std::string text(state);  // sd_notify wants a C string
  return sd_notify(0, text.c_str()) > 0;
}

bool notify_socket_set() noexcept { return env_set("NOTIFY_SOCKET"); }

bool started_by_systemd() noexcept {
  return env_set("INVOCATION_ID") || env_set("NOTIFY_SOCKET") || env_set("LISTEN_FDS");
}

std::error_code listen_fds(std::vector<int>& out) {
  out.clear();
  const bool announced = env_set("LISTEN_FDS");
  const int n = sd_listen_fds(1);
  if (n < 0) return {-n, std::system_category()};
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
    if (sd_is_socket(fd, AF_INET, SOCK_DGRAM, -1) <= 0 && sd_is_socket(fd, AF_INET6, SOCK_DGRAM, -1) <= 0) {
      out.clear();
      return errc::not_udp_socket;
    }
    (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
    out.push_back(fd);
  }
  if (announced && out.empty()) return errc::no_sockets;
  return {};
}

std::chrono::microseconds watchdog_interval() noexcept {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
}

std::string status_line(std::uint64_t answered, std::uint64_t rate_limited, std::uint64_t acl, std::uint64_t malformed,
                        std::uint64_t other_dropped, std::size_t listeners, std::size_t workers) {
  const std::uint64_t dropped = rate_limited + acl + malformed + other_dropped;
  return "STATUS=answered " + std::to_string(answered) + ", dropped " + std::to_string(dropped) + " (rate-limited " +
         std::to_string(rate_limited) + ", acl " + std::to_string(acl) + ", malformed " + std::to_string(malformed) +
         "), " + std::to_string(listeners) + " listeners, " + std::to_string(workers) + " workers";
}

}  // namespace pinhole::daemon::systemd
