// systemd integration: readiness/status notification (sd_notify), socket
// activation (sd_listen_fds) and the service watchdog. Everything is a no-op
// when the process was not started by systemd (no NOTIFY_SOCKET, no
// LISTEN_FDS), so pinholed runs the same by hand, in Docker and under PID 1.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace pinhole::daemon::systemd {

enum class errc {
  not_udp_socket = 1,  // an inherited descriptor is not an AF_INET/AF_INET6 datagram socket
  no_sockets,          // LISTEN_FDS was set but passed nothing usable
};
const std::error_category& category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

// Sends `state` ("READY=1", "STATUS=...", "RELOADING=1", "STOPPING=1",
// "WATCHDOG=1", newline-separated for several) to $NOTIFY_SOCKET. Returns
// true if it was delivered, false if there is no notify socket or it failed.
bool notify(std::string_view state);

// True if $NOTIFY_SOCKET is set (started as a Type=notify service).
bool notify_socket_set() noexcept;
// True if systemd started us: $INVOCATION_ID or $NOTIFY_SOCKET or $LISTEN_FDS.
bool started_by_systemd() noexcept;

// Descriptors passed by socket activation (fd 3 onwards), after checking
// each is a UDP socket (AF_INET/AF_INET6, SOCK_DGRAM). Empty when none were
// passed. Unsets LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES so children do not
// inherit them. Descriptors get FD_CLOEXEC.
std::error_code listen_fds(std::vector<int>& out);

// The watchdog period systemd expects pings within ($WATCHDOG_USEC for this
// PID); zero when the watchdog is off. Ping at half of it.
std::chrono::microseconds watchdog_interval() noexcept;

// "STATUS=..." text for the counters, e.g.
// "STATUS=answered 120, dropped 3 (rate-limited 2, acl 0, malformed 1), 2 listeners, 2 workers".
std::string status_line(std::uint64_t answered, std::uint64_t rate_limited, std::uint64_t acl, std::uint64_t malformed,
                        std::uint64_t other_dropped, std::size_t listeners, std::size_t workers);

}  // namespace pinhole::daemon::systemd

template <>
struct std::is_error_code_enum<pinhole::daemon::systemd::errc> : std::true_type {};
