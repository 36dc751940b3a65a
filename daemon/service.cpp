#include "service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>

#include "cli.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "metrics_http.hpp"
#include "privileges.hpp"
#include "server.hpp"
#include "systemd.hpp"

namespace pinhole::daemon {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

std::uint64_t get(const counter_values& v, counter c) { return v[static_cast<std::size_t>(c)]; }

void log_listeners(const server& s) {
  for (const auto& l : s.listeners()) {
    const char* role = "single";
    switch (l.role) {
      case socket_role::pp: role = "PP"; break;
      case socket_role::pa: role = "PA"; break;
      case socket_role::ap: role = "AP"; break;
      case socket_role::aa: role = "AA"; break;
      case socket_role::single: break;
    }
    log(log_level::info, "listening",
        {{"addr", l.name}, {"role", role}, {"socket", s.socket_activated() ? "systemd" : "own"}});
  }
}

std::string status(const server& s) {
  const auto t = s.counters().total();
  const std::uint64_t other = get(t, counter::dropped_indication) + get(t, counter::dropped_response) +
                              get(t, counter::dropped_global_limit) + get(t, counter::dropped_draining);
  return systemd::status_line(get(t, counter::answered), get(t, counter::dropped_rate_limited),
                              get(t, counter::dropped_acl), get(t, counter::dropped_malformed), other,
                              s.listeners().size(), s.worker_count());
}

// The sockets: systemd's if it passed any (socket activation), else our own.
// Returns the exit code on failure, 0 on success: 2 when another process
// already serves a listen address (a usage error, like a bad flag), else 1.
int open_sockets(server& srv) {
  std::vector<int> inherited;
  if (auto ec = systemd::listen_fds(inherited)) {
    log(log_level::error, "socket_activation_failed", {{"error", ec.message()}});
    return 1;
  }
  const outcome opened = inherited.empty() ? srv.bind() : srv.adopt(inherited);
  if (opened) return 0;
  log(log_level::error, srv.address_in_use() ? "address_in_use" : "bind_failed", {{"error", opened.message()}});
  return srv.address_in_use() ? 2 : 1;
}

// Root without systemd: become cfg.user now that everything is bound.
bool maybe_drop_privileges(const config& cfg) {
  if (cfg.user.empty()) return true;
  if (::geteuid() != 0) {
    log(log_level::info, "privileges_unchanged", {{"reason", "not root"}, {"user", cfg.user}});
    return true;
  }
  user_ids ids;
  if (auto ec = resolve_user(cfg.user, ids)) {
    log(log_level::error, "privilege_drop_failed", {{"user", cfg.user}, {"error", ec.message()}});
    return false;
  }
  if (auto ec = drop_privileges(ids)) {
    log(log_level::error, "privilege_drop_failed", {{"user", cfg.user}, {"error", ec.message()}});
    return false;
  }
  log(log_level::info, "privileges_dropped",
      {{"user", cfg.user}, {"uid", std::to_string(ids.uid)}, {"gid", std::to_string(ids.gid)}});
  return true;
}

}  // namespace

int run_service(const config& cfg, const resource_needs& needs, std::uint64_t fd_limit, int argc, char** argv) {
  const auto started_steady = std::chrono::steady_clock::now();
  const auto started_wall = std::chrono::system_clock::now();
  asio::io_context control(1);
  // Handlers installed before the first log line and READY=1: a SIGTERM or
  // SIGUSR1 that comes while pinholed starts (even while it is blocked
  // writing that line) must reach the handler below, not kill the process
  // by the default action. Asio keeps a signal that arrives before
  // async_wait for it.
  asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR1);
  signals.add(SIGUSR2);
  log(log_level::info, "resources",
      {{"workers", std::to_string(needs.workers)}, {"listeners", std::to_string(needs.listeners)},
       {"preallocated", format_bytes(needs.memory_bytes())}, {"fds", std::to_string(needs.fds)},
       {"fd_limit", std::to_string(fd_limit)}});
  server srv(cfg);
  if (const int rc = open_sockets(srv)) return rc;

  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_rejected = 0;
  bool healthy = true;
  // Drain mode (SIGUSR1): /healthz 503 at once so load balancers move
  // clients away; after drain_grace_ms the workers drop every datagram.
  // SIGUSR2 or SIGHUP ends it.
  bool draining = false;
  std::uint64_t drain_generation = 0;  // a grace timer from an earlier drain does nothing
  asio::steady_timer drain_timer(control);
  std::unique_ptr<metrics_http> metrics;
  if (!cfg.metrics_listen.empty()) {
    metrics = std::make_unique<metrics_http>(control, [&](std::string_view path) -> http_response {
      // /healthz: should traffic come here (readiness, load balancers);
      // /livez: is the process working (liveness: draining is not a fault).
      if (path == "/healthz" || path == "/livez") {
        if (draining && path == "/healthz") return http_response{503, "text/plain; charset=utf-8", "draining\n"};
        return healthy ? http_response{200, "text/plain; charset=utf-8", "ok\n"}
                       : http_response{503, "text/plain; charset=utf-8", "workers not responding\n"};
      }
      if (path != "/metrics") return http_response{404, "text/plain; charset=utf-8", "try /metrics, /healthz or /livez\n"};
      metrics_sample m = sample(srv);
      m.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady).count();
      m.start_time_seconds = std::chrono::duration<double>(started_wall.time_since_epoch()).count();
      m.reloads_ok = reloads_ok;
      m.reloads_rejected = reloads_rejected;
      m.healthy = healthy;
      m.draining = draining;
      m.http_open = metrics->open_connections();
      const http_stats& hs = metrics->stats();
      m.http_accepted = hs.accepted;
      m.http_evicted = hs.evicted;
      m.http_timed_out = hs.timed_out;
      m.http_accept_paused = hs.accept_paused;
      return http_response{200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(m)};
    });
    if (auto ec = metrics->listen(cfg.metrics_listen.value())) {
      log(log_level::error, "metrics_bind_failed", {{"addr", cfg.metrics_listen.text()}, {"error", ec.message()}});
      return 1;
    }
    log(log_level::info, "metrics_listening",
        {{"addr", cfg.metrics_listen.text()}, {"port", std::to_string(metrics->port())}});
  }
  if (!maybe_drop_privileges(cfg)) return 1;

  log_listeners(srv);
  srv.start();
  log(log_level::info, "started",
      {{"workers", std::to_string(srv.worker_count())},
       {"rfc5780", srv.state()->handler.rfc5780 ? "on" : "off"}});
  systemd::notify("READY=1\n" + status(srv));

  // Every second: worker heartbeats (for /healthz and the watchdog) and STATUS=.
  const auto watchdog = systemd::watchdog_interval();
  auto tick_every = std::chrono::duration_cast<std::chrono::steady_clock::duration>(1s);
  if (watchdog.count() > 0) tick_every = std::min(tick_every, std::chrono::duration_cast<std::chrono::steady_clock::duration>(watchdog / 2));
  asio::steady_timer tick(control);
  std::function<void(const boost::system::error_code&)> on_tick;
  on_tick = [&](const boost::system::error_code& ec) {
    if (ec) return;
    const bool ok = srv.check_workers();
    if (ok != healthy) log(ok ? log_level::info : log_level::error, ok ? "workers_healthy" : "workers_stalled");
    healthy = ok;
    // WATCHDOG=1 only while every worker loop is turning: a stuck worker
    // makes systemd restart the service (WatchdogSec=).
    systemd::notify(healthy && watchdog.count() > 0 ? "WATCHDOG=1\n" + status(srv) : status(srv));
    tick.expires_after(tick_every);
    tick.async_wait(on_tick);
  };
  tick.expires_after(tick_every);
  tick.async_wait(on_tick);

  const auto start_drain = [&] {
    if (draining) return;  // a second SIGUSR1 keeps the running grace
    draining = true;
    const unsigned grace = srv.effective_config().drain_grace_ms;
    log(log_level::info, "drain_started", {{"grace_ms", std::to_string(grace)}});
    drain_timer.expires_after(std::chrono::milliseconds(grace));
    drain_timer.async_wait([&, generation = ++drain_generation](const boost::system::error_code& ec) {
      if (ec || !draining || generation != drain_generation) return;
      srv.set_dropping(true);
      log(log_level::info, "drain_dropping");
    });
  };
  const auto end_drain = [&](const char* reason) {
    if (!draining) return;
    draining = false;
    drain_timer.cancel();
    srv.set_dropping(false);
    log(log_level::info, "drain_ended", {{"reason", reason}});
  };

  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      if (sig == SIGUSR1) start_drain();
      else end_drain("SIGUSR2");
      signals.async_wait(on_signal);
      return;
    }
    if (sig == SIGHUP) {
      systemd::notify("RELOADING=1");
      const auto again = parse_cli(argc, argv);
      if (again.what != cli_result::action::run) {
        log(log_level::error, "reload_rejected", {{"error", again.message}});
        ++reloads_rejected;
      } else if (const outcome reloaded = srv.reload(again.cfg); !reloaded) {
        log(log_level::error, "reload_rejected", {{"error", reloaded.message()}});
        ++reloads_rejected;
      } else {
        if (again.cfg.metrics_listen != cfg.metrics_listen || again.cfg.user != cfg.user) {
          log(log_level::warning, "reload_needs_restart", {{"setting", "metrics_listen/user"}});
        }
        log_set_level(again.cfg.level);
        ++reloads_ok;
        log(log_level::info, "reloaded", {{"listeners", std::to_string(srv.listeners().size())}});
      }
      end_drain("reload");  // accepted or not: the operator wants it back
      systemd::notify("READY=1\n" + status(srv));
      signals.async_wait(on_signal);
      return;
    }
    log(log_level::info, "stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    systemd::notify("STOPPING=1");
    control.stop();
  };
  signals.async_wait(on_signal);
  control.run();
  srv.stop();
  const auto t = srv.counters().total();
  log(log_level::info, "stopped",
      {{"received", std::to_string(get(t, counter::received))},
       {"answered", std::to_string(get(t, counter::answered))},
       {"dropped_rate_limited", std::to_string(get(t, counter::dropped_rate_limited))}});
  return 0;
}

}  // namespace pinhole::daemon
