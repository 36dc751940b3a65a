// Integration guide, C++: the application-owned model with events.
// Compiled and linked by ctest (capi.snippet_cxx_application_owned).
#include <pinhole/port_manager.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <memory>

namespace {

void queue_reinvite(const pinhole::mapping& now) {  // to the signalling thread
  std::printf("re-INVITE with %s\n", now.external.to_string().c_str());
}

std::unique_ptr<pinhole::port_manager> make_manager() {
  pinhole::options o;
  o.servers = {"stun.example.org"};
  o.keepalive_interval = std::chrono::seconds(15);
  o.on_event = [](const pinhole::event& e) {  // library thread: do not block
    if (e.type == pinhole::event_type::mapping_changed) queue_reinvite(e.current);
  };
  std::error_code ec;
  return pinhole::port_manager::create(std::move(o), ec);
}

// The stack's receive loop, for each datagram it read from its socket.
bool is_librarys(pinhole::port_manager& pm, const pinhole::mapping& m, const pinhole::ip_endpoint& from,
                 std::span<const std::byte> data) {
  return !data.empty() && std::to_integer<unsigned>(data[0]) <= 3  // RFC 7983: STUN
         && pm.handle_datagram(m.internal, from, data);            // true: drop it
}

}  // namespace

int main() {
  auto pm = make_manager();
  if (!pm) return 1;
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);  // the stack's socket
  pinhole::mapping m;
  if (!pm->attach_socket(fd, pinhole::port_type::audio_rtp, *pinhole::ip_endpoint::parse("192.0.2.1:5004"), m)) {
    const std::byte stun[20]{};
    (void)is_librarys(*pm, m, m.server, stun);
    pm->detach_socket(m.internal);  // at hang-up; fd stays the stack's
  }
  return 0;
}
