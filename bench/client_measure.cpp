// pinhole-client-measure: what an application sees from libpinhole against
// the real pinholed on loopback, with default options unless told otherwise.
//   pinhole-client-measure PINHOLED [--keepalive-ms N] [--no-health]
// Prints GetMapping p50/p99 cold and pre-warmed, GetMapping with a silent
// first server, and (unless --no-health) the time from SIGSTOP of pinholed to
// mapping_lost and from SIGCONT to server_recovered / mapping_restored.
// A measurement, not a test: it runs for about keepalive + call_timeout x 2.
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pinhole/port_manager.hpp"
#include "udp_io.hpp"

extern char** environ;

using namespace pinhole;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

// A bound loopback UDP socket that never answers (a blackholed server).
struct silent_socket {
  int fd = -1;
  ip_endpoint addr;
  silent_socket() {
    std::error_code ec;
    fd = client::open_udp(ip_family::v4, ec);
    client::bind_udp(fd, *ip_endpoint::parse("127.0.0.1:0"));
    addr = *client::local_endpoint(fd);
  }
  ~silent_socket() { ::close(fd); }
};

double ms(clk::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::pair<double, double> p50_p99(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 99 / 100)]};
}

struct events {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<event_type, clk::time_point>> seen;
  event_handler handler() {
    return [this](const event& e) {
      std::lock_guard lk(m);
      seen.emplace_back(e.type, clk::now());
      cv.notify_all();
    };
  }
  std::optional<clk::time_point> wait(event_type t, clk::time_point since, clk::duration timeout) {
    std::unique_lock lk(m);
    std::optional<clk::time_point> at;
    cv.wait_for(lk, timeout, [&] {
      for (const auto& [type, when] : seen) {
        if (type == t && when >= since) {
          at = when;
          return true;
        }
      }
      return false;
    });
    return at;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pinhole-client-measure PINHOLED [--keepalive-ms N] [--no-health]\n");
    return 2;
  }
  long keepalive_ms = options{}.keepalive_interval.count();
  bool health = true;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--keepalive-ms") == 0 && i + 1 < argc) {
      keepalive_ms = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--no-health") == 0) {
      health = false;
    } else {
      std::fprintf(stderr, "pinhole-client-measure: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  silent_socket port_pick;  // a free port for pinholed: taken from a socket we close
  const auto server = port_pick.addr;
  ::close(port_pick.fd);
  port_pick.fd = -1;
  std::vector<std::string> args{argv[1], "--listen", server.to_string(), "--workers", "1", "--log-level", "warning"};
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[1], nullptr, nullptr, cargs.data(), environ) != 0) {
    std::fprintf(stderr, "pinhole-client-measure: cannot start %s\n", argv[1]);
    return 2;
  }
  int rc = 0;
  {
    options o;
    o.servers = {server.to_string()};
    std::error_code ec;
    auto pm = port_manager::create(o, ec);
    mapping m;
    for (int i = 0; i < 50 && pm && pm->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m);
         ++i) {
      std::this_thread::sleep_for(100ms);
    }
    // Cold: one STUN round trip per GetMapping.
    std::vector<double> cold;
    for (int i = 0; i < 200; ++i) {
      const auto t0 = clk::now();
      if (pm->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m)) continue;
      cold.push_back(ms(clk::now() - t0));
      pm->release_mapping(m.internal, m.external);
    }
    const auto [c50, c99] = p50_p99(cold);
    std::printf("GetMapping cold:        p50 %.3f ms  p99 %.3f ms  (%zu calls)\n", c50, c99, cold.size());
    // Pre-warmed: served from the cache (refilled in the background between calls).
    o.prewarm[static_cast<std::size_t>(port_type::audio_rtp)] = 4;
    auto warm_pm = port_manager::create(o, ec);
    std::vector<double> warm;
    for (int i = 0; i < 200; ++i) {
      for (int w = 0; w < 200 && warm_pm->stats().prewarmed < 4; ++w) std::this_thread::sleep_for(1ms);
      const auto t0 = clk::now();
      if (warm_pm->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m)) continue;
      warm.push_back(ms(clk::now() - t0));
      warm_pm->release_mapping(m.internal, m.external);
    }
    const auto [w50, w99] = p50_p99(warm);
    std::printf("GetMapping pre-warmed:  p50 %.3f ms  p99 %.3f ms  (%zu calls)\n", w50, w99, warm.size());
    // A blackholed first server.
    silent_socket hole;
    options f;
    f.servers = {hole.addr.to_string(), server.to_string()};
    auto fo = port_manager::create(f, ec);
    auto t0 = clk::now();
    const auto fec = fo->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m);
    const double first = ms(clk::now() - t0);
    t0 = clk::now();
    fo->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m);
    std::printf("GetMapping, silent first server: %s in %.1f ms, next call %.3f ms (budget %lld ms)\n",
                fec ? fec.message().c_str() : "ok", first, ms(clk::now() - t0),
                static_cast<long long>(f.call_timeout.count()));
  }
  if (health) {
    events ev;
    options o;
    o.servers = {server.to_string()};
    o.keepalive_interval = std::chrono::milliseconds(keepalive_ms);
    o.on_event = ev.handler();
    std::error_code ec;
    auto pm = port_manager::create(o, ec);
    mapping m;
    pm->get_mapping(*ip_endpoint::parse("127.0.0.1:5004"), port_type::audio_rtp, m);
    const auto bound = o.keepalive_interval + o.call_timeout;
    ::kill(pid, SIGSTOP);
    const auto t0 = clk::now();
    const auto lost = ev.wait(event_type::mapping_lost, t0, bound + 5s);
    ::kill(pid, SIGCONT);
    const auto t1 = clk::now();
    const auto recovered = ev.wait(event_type::server_recovered, t1, bound + 10s);
    const auto restored = ev.wait(event_type::mapping_restored, t1, bound + 10s);
    std::printf(
        "keep-alive %ld ms, call_timeout %lld ms: mapping_lost after %s ms (bound %lld ms); "
        "after SIGCONT server_recovered %s ms, mapping_restored %s ms\n",
        keepalive_ms, static_cast<long long>(o.call_timeout.count()),
        lost ? std::to_string(static_cast<long>(ms(*lost - t0))).c_str() : "never",
        static_cast<long long>(bound.count()),
        recovered ? std::to_string(static_cast<long>(ms(*recovered - t1))).c_str() : "never",
        restored ? std::to_string(static_cast<long>(ms(*restored - t1))).c_str() : "never");
    if (!lost || !restored) rc = 1;
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return rc;
}
