// Uses libpinhole through its installed public headers only.
#include <pinhole/nat.hpp>
#include <pinhole/port_manager.hpp>
#include <pinhole/session_port_management.hpp>

#include <cstdio>

#if __has_include(<stun/reader.hpp>) || __has_include("stun/reader.hpp")
#error "the STUN codec headers must not be installed"
#endif

namespace {
// The hook an RTC client implements.
struct client final : pinhole::session_port_management {
  pinhole::port_manager* pm = nullptr;
  void set_port_manager(pinhole::port_manager* p) override { pm = p; }
};
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  pinhole::options o;
  o.servers = {argv[1]};  // nobody listens there
  std::error_code ec;
  auto pm = pinhole::port_manager::create(o, ec);
  if (!pm) {
    std::fprintf(stderr, "create: %s\n", ec.message().c_str());
    return 1;
  }
  client c;
  c.set_port_manager(pm.get());
  pinhole::mapping m;
  ec = c.pm->get_mapping("127.0.0.1", pinhole::port_type::audio_rtp, m);
  std::printf("GetMapping via %s: %s (%s)\n", argv[1], ec.message().c_str(), ec.category().name());
  pinhole::port_range r;
  if (pm->get_port_range(pinhole::port_type::sip, r)) return 1;
  return ec == pinhole::errc::server_unreachable ? 0 : 1;
}
