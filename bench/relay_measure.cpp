// pinhole-relay-measure: libpinhole's TURN relay path against a real coturn
// on loopback: time to a relayed GetMapping (cold), and per packet through
// the library: CPU of send() on a relayed mapping (ChannelData wrap +
// sendto) against a direct one, CPU of the receive path (recv + unwrap +
// callback) on the library's thread, packets per second, and the bytes the
// relay framing adds.
//   ./build/release/bench/pinhole-relay-measure /usr/bin/turnserver [packets]
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "pinhole/port_manager.hpp"
#include "udp_io.hpp"

using namespace pinhole;
using namespace std::chrono_literals;

namespace {

double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

int bound_socket(ip_endpoint& local) {
  std::error_code ec;
  const int fd = client::open_udp(ip_family::v4, ec);
  client::bind_udp(fd, *ip_endpoint::parse("127.0.0.1:0"));
  local = *client::local_endpoint(fd);
  return fd;
}

std::atomic<unsigned> received{0};
std::atomic<double> rx_first_cpu{0}, rx_last_cpu{0};
std::atomic<std::int64_t> rx_last_ns{0};  // steady_clock of the last delivery

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s TURNSERVER [packets]\n", argv[0]);
    return 2;
  }
  const unsigned packets = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 20000U;
  ip_endpoint probe;
  const int pfd = bound_socket(probe);
  ::close(pfd);
  const std::string port = std::to_string(probe.port);
  // Not coturn's default /var/run/turnserver.pid: a system coturn's stays.
  const std::string pidfile = "/tmp/pinhole-relay-measure-" + port + ".pid";
  const pid_t turn = ::fork();
  if (turn == 0) {
    ::execl(argv[1], argv[1], "-n", "--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1", "--listening-port",
            port.c_str(), "--lt-cred-mech", "--user", "alice:secret", "--realm", "pinhole.test",
            "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp", "--log-file", "/dev/null",
            "--simple-log", "--no-stdout-log", "--pidfile", pidfile.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(500ms);
  options o;
  o.servers = {"127.0.0.1:9"};
  o.use_srv = false;
  o.prefer_relay = true;
  o.turn_servers = {turn_server{"turn:127.0.0.1:" + port, "alice", "secret"}};
  o.on_datagram = [](const mapping&, const ip_endpoint&, std::span<const std::byte>) {
    const auto n = received.fetch_add(1) + 1;
    if (n == 1) rx_first_cpu = thread_cpu_ns();
    rx_last_cpu = thread_cpu_ns();
    rx_last_ns = steady_ns();
  };
  std::error_code ec;
  ip_endpoint peer;
  // Cold relayed GetMappings: a new port manager each (no challenge cached),
  // with prefer_relay, and by the fallback when STUN is unreachable (port 9:
  // ICMP port unreachable at once) -- the path a blocked network takes.
  // The fallback also with port mapping off: by default the first
  // GetMapping waits for the gateway probe (portmap_timeout, 250 ms) first.
  struct variant {
    bool prefer, portmap;
    const char* name;
  };
  for (const auto& v : {variant{true, true, "prefer_relay"},
                        variant{false, true, "fallback, STUN port unreachable, port mapping on (default)"},
                        variant{false, false, "fallback, STUN port unreachable, port mapping off"}}) {
    std::vector<double> ms;
    for (int i = 0; i < 10; ++i) {
      auto c = o;
      c.prefer_relay = v.prefer;
      if (!v.portmap) c.port_mapping.clear();
      c.on_datagram = nullptr;
      auto cold_pm = port_manager::create(c, ec);
      if (!cold_pm) break;
      mapping cm;
      const auto c0 = std::chrono::steady_clock::now();
      ec = cold_pm->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, cm);
      const auto t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
      if (ec || !cm.relayed()) break;
      ms.push_back(t);
    }
    if (ms.size() < 10) {
      std::fprintf(stderr, "cold relayed GetMapping failed: %s\n", ec.message().c_str());
      continue;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("cold relayed GetMapping (%s; new port manager each, 10 runs): median %.2f ms, max %.2f ms\n", v.name,
                (ms[4] + ms[5]) / 2, ms[9]);
  }
  auto pm = port_manager::create(o, ec);
  if (!pm) {
    std::fprintf(stderr, "port manager: %s\n", ec.message().c_str());
    ::kill(turn, SIGTERM);
    ::waitpid(turn, nullptr, 0);
    return 1;
  }
  const int peer_fd = bound_socket(peer);
  mapping m;
  const auto t0 = std::chrono::steady_clock::now();
  ec = pm->get_mapping(peer, port_type::audio_rtp, m);
  const auto cold = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (ec || !m.relayed()) {
    std::fprintf(stderr, "no relayed mapping: %s\n", ec.message().c_str());
    ::kill(turn, SIGTERM);
    ::waitpid(turn, nullptr, 0);
    ::unlink(pidfile.c_str());
    return 1;
  }
  std::printf("relayed GetMapping (cold, prefer_relay, Allocate 401 + retry + CreatePermission): %.2f ms\n", cold);
  std::this_thread::sleep_for(200ms);                // ChannelBind done
  std::vector<std::byte> rtp(172, std::byte{0x80});  // 12-byte RTP header + 160 bytes of G.711 (20 ms)

  // Send path: the caller's thread CPU per send(), relayed vs direct.
  double c0 = thread_cpu_ns();
  for (unsigned i = 0; i < packets; ++i) {
    (void)pm->send(m.internal, peer, rtp);
    if (i % 64 == 63) std::this_thread::sleep_for(1ms);  // let coturn keep up (loopback buffers)
  }
  const double relayed_send = (thread_cpu_ns() - c0) / packets;
  c0 = thread_cpu_ns();
  for (unsigned i = 0; i < packets; ++i) {
    (void)client::send_udp(m.native_handle, rtp, peer);
    if (i % 64 == 63) std::this_thread::sleep_for(1ms);
  }
  const double direct_send = (thread_cpu_ns() - c0) / packets;

  // Receive path: the peer sends to the relayed address; the library's
  // thread reads ChannelData from coturn, unwraps it, calls on_datagram.
  const auto r0 = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < packets; ++i) {
    client::send_udp(peer_fd, rtp, m.external);
    if (i % 64 == 63) std::this_thread::sleep_for(1ms);
  }
  for (int i = 0; i < 200 && received.load() < packets; ++i) std::this_thread::sleep_for(10ms);
  // Up to the last delivery: waiting for lost packets is not throughput.
  const double secs =
      static_cast<double>(rx_last_ns.load() -
                          std::chrono::duration_cast<std::chrono::nanoseconds>(r0.time_since_epoch()).count()) /
      1e9;
  const unsigned got = received.load();
  std::printf("send(): relayed %.0f ns CPU/packet (ChannelData wrap + sendto), direct sendto %.0f ns\n", relayed_send,
              direct_send);
  std::printf(
      "receive: %u of %u delivered, %.0f ns CPU/packet on the library thread (recv + unwrap + callback), "
      "%.0f packets/s offered and delivered (paced 64 per ms)\n",
      got, packets, got > 1 ? (rx_last_cpu - rx_first_cpu) / (got - 1) : 0.0, got / secs);
  std::printf("extra bytes per %zu-byte packet: ChannelData %zu, Send indication %zu (before the channel is bound)\n",
              rtp.size(), static_cast<std::size_t>(4 + ((rtp.size() + 3) & ~std::size_t{3}) - rtp.size()),
              static_cast<std::size_t>(20 + 12 + 4 + ((rtp.size() + 3) & ~std::size_t{3}) - rtp.size()));
  pm.reset();
  ::close(peer_fd);
  ::kill(turn, SIGTERM);
  ::waitpid(turn, nullptr, 0);
  ::unlink(pidfile.c_str());
  return 0;
}
