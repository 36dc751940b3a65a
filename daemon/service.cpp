#include "service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "cli.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "metrics_http.hpp"
#include "privileges.hpp"
#include "server.hpp"
#include "systemd.hpp"
#include "xdp_loader.hpp"

namespace pinhole::daemon {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

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

// The XDP fast path, after the sockets are bound (and before privileges go).
// Unavailable: one line, and the socket path serves; 2 if xdp_required.
int start_xdp(const config& cfg, const server& srv, xdp_fast_path& xdp) {
  if (cfg.xdp.interfaces.empty()) return 0;
  std::string error;
  if (xdp.attach(cfg, srv.listeners(), error)) {
    std::string names;
    for (const auto& n : xdp.interfaces()) names += (names.empty() ? "" : ",") + n;
    log(log_level::info, "xdp_attached", {{"interfaces", names}, {"mode", cfg.xdp.mode}});
    return 0;
  }
  log(cfg.xdp_required ? log_level::error : log_level::warning, "xdp_unavailable",
      {{"error", error}, {"fallback", cfg.xdp_required ? "none (xdp_required)" : "socket path"}});
  return cfg.xdp_required ? 2 : 0;
}

// The control thread of a running pinholed around its server: signals
// (stop, drain, reload), the once-a-second tick (heartbeats, watchdog,
// STATUS=) and the metrics endpoint.
class service {
 public:
  service(const config& cfg, int argc, char** argv) : cfg_(cfg), argc_(argc), argv_(argv) {
    // Handlers installed before the first log line and READY=1: a SIGTERM or
    // SIGUSR1 that comes while pinholed starts (even while it is blocked
    // writing that line) must reach the handler below, not kill the process
    // by the default action. Asio keeps a signal that arrives before
    // async_wait for it.
    signals_.add(SIGUSR1);
    signals_.add(SIGUSR2);
  }
  int run(const resource_needs& needs, std::uint64_t fd_limit);

 private:
  int start_metrics();
  http_response serve_http(std::string_view path);
  metrics_sample metrics_now();
  void start_ticks();
  void on_tick();
  void start_drain();
  void end_drain(const char* reason);
  void reload();
  void on_signal(int sig);
  void wait_for_signal();
  server& srv() { return *srv_; }

  const config& cfg_;
  int argc_;
  char** argv_;
  const std::chrono::steady_clock::time_point started_steady_ = std::chrono::steady_clock::now();
  const std::chrono::system_clock::time_point started_wall_ = std::chrono::system_clock::now();
  asio::io_context control_{1};
  asio::signal_set signals_{control_, SIGINT, SIGTERM, SIGHUP};
  std::optional<server> srv_;
  xdp_fast_path xdp_;
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_rejected_ = 0;
  bool healthy_ = true;
  // Drain mode (SIGUSR1): /healthz 503 at once so load balancers move
  // clients away; after drain_grace_ms the workers drop every datagram.
  // SIGUSR2 or SIGHUP ends it.
  bool draining_ = false;
  std::uint64_t drain_generation_ = 0;  // a grace timer from an earlier drain does nothing
  asio::steady_timer drain_timer_{control_};
  std::unique_ptr<metrics_http> metrics_;
  std::chrono::microseconds watchdog_{0};  // systemd::watchdog_interval(), 0 = none
  std::chrono::steady_clock::duration tick_every_{};
  asio::steady_timer tick_{control_};
};

int service::run(const resource_needs& needs, std::uint64_t fd_limit) {
  log(log_level::info, "resources",
      {{"workers", std::to_string(needs.workers)},
       {"listeners", std::to_string(needs.listeners)},
       {"preallocated", format_bytes(needs.memory_bytes())},
       {"fds", std::to_string(needs.fds)},
       {"fd_limit", std::to_string(fd_limit)}});
  srv_.emplace(cfg_);
  if (const int rc = open_sockets(srv())) return rc;
  if (const int rc = start_xdp(cfg_, srv(), xdp_)) return rc;
  if (const int rc = start_metrics()) return rc;
  if (!maybe_drop_privileges(cfg_)) return 1;

  log_listeners(srv());
  srv().start();
  log(log_level::info, "started",
      {{"workers", std::to_string(srv().worker_count())}, {"rfc5780", srv().state()->handler.rfc5780 ? "on" : "off"}});
  systemd::notify("READY=1\n" + status(srv()));
  start_ticks();
  wait_for_signal();
  control_.run();
  srv().stop();
  const auto t = srv().counters().total();
  log(log_level::info, "stopped",
      {{"received", std::to_string(get(t, counter::received))},
       {"answered", std::to_string(get(t, counter::answered))},
       {"dropped_rate_limited", std::to_string(get(t, counter::dropped_rate_limited))}});
  return 0;
}

// The metrics endpoint, if configured; 1 when it cannot listen.
int service::start_metrics() {
  if (cfg_.metrics_listen.empty()) return 0;
  metrics_ = std::make_unique<metrics_http>(control_, [this](std::string_view path) { return serve_http(path); });
  if (auto ec = metrics_->listen(cfg_.metrics_listen.value().addr)) {
    log(log_level::error, "metrics_bind_failed", {{"addr", cfg_.metrics_listen.text()}, {"error", ec.message()}});
    return 1;
  }
  log(log_level::info, "metrics_listening",
      {{"addr", cfg_.metrics_listen.text()}, {"port", std::to_string(metrics_->port())}});
  return 0;
}

http_response service::serve_http(std::string_view path) {
  // /healthz: should traffic come here (readiness, load balancers);
  // /livez: is the process working (liveness: draining is not a fault).
  if (path == "/healthz" || path == "/livez") {
    if (draining_ && path == "/healthz") return http_response{503, "text/plain; charset=utf-8", "draining\n"};
    return healthy_ ? http_response{200, "text/plain; charset=utf-8", "ok\n"}
                    : http_response{503, "text/plain; charset=utf-8", "workers not responding\n"};
  }
  if (path != "/metrics") return http_response{404, "text/plain; charset=utf-8", "try /metrics, /healthz or /livez\n"};
  return http_response{200, "text/plain; version=0.0.4; charset=utf-8",
                       render_prometheus(metrics_now()) + xdp_.render_metrics()};
}

// The server's sample plus what only the service knows.
metrics_sample service::metrics_now() {
  metrics_sample m = sample(srv());
  m.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady_).count();
  m.start_time_seconds = std::chrono::duration<double>(started_wall_.time_since_epoch()).count();
  m.reloads_ok = reloads_ok_;
  m.reloads_rejected = reloads_rejected_;
  m.healthy = healthy_;
  m.draining = draining_;
  m.http_open = metrics_->open_connections();
  const http_stats& hs = metrics_->stats();
  m.http_accepted = hs.accepted;
  m.http_evicted = hs.evicted;
  m.http_timed_out = hs.timed_out;
  m.http_accept_paused = hs.accept_paused;
  return m;
}

// Every second (or half the watchdog interval, if shorter): on_tick().
void service::start_ticks() {
  watchdog_ = systemd::watchdog_interval();
  tick_every_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(1s);
  if (watchdog_.count() > 0) {
    tick_every_ = std::min(tick_every_, std::chrono::duration_cast<std::chrono::steady_clock::duration>(watchdog_ / 2));
  }
  tick_.expires_after(tick_every_);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

// Worker heartbeats (for /healthz and the watchdog) and STATUS=.
void service::on_tick() {
  const bool ok = srv().check_workers();
  if (ok != healthy_) log(ok ? log_level::info : log_level::error, ok ? "workers_healthy" : "workers_stalled");
  healthy_ = ok;
  // WATCHDOG=1 only while every worker loop is turning: a stuck worker
  // makes systemd restart the service (WatchdogSec=).
  systemd::notify(healthy_ && watchdog_.count() > 0 ? "WATCHDOG=1\n" + status(srv()) : status(srv()));
  tick_.expires_after(tick_every_);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_tick();
  });
}

void service::start_drain() {
  if (draining_) return;  // a second SIGUSR1 keeps the running grace
  draining_ = true;
  xdp_.set_answering(false);  // the socket path answers through the grace, then drops
  const unsigned grace = srv().effective_config().drain_grace_ms;
  log(log_level::info, "drain_started", {{"grace_ms", std::to_string(grace)}});
  drain_timer_.expires_after(std::chrono::milliseconds(grace));
  drain_timer_.async_wait([this, generation = ++drain_generation_](const boost::system::error_code& ec) {
    if (ec || !draining_ || generation != drain_generation_) return;
    srv().set_dropping(true);
    log(log_level::info, "drain_dropping");
  });
}

void service::end_drain(const char* reason) {
  if (!draining_) return;
  draining_ = false;
  drain_timer_.cancel();
  srv().set_dropping(false);
  xdp_.set_answering(true);
  log(log_level::info, "drain_ended", {{"reason", reason}});
}

// SIGHUP: the command line (and the files it names) read again.
void service::reload() {
  systemd::notify("RELOADING=1");
  const auto again = parse_cli(argc_, argv_);
  if (again.what != cli_result::action::run) {
    log(log_level::error, "reload_rejected", {{"error", again.message}});
    ++reloads_rejected_;
  } else if (const outcome reloaded = srv().reload(again.cfg); !reloaded) {
    log(log_level::error, "reload_rejected", {{"error", reloaded.message()}});
    ++reloads_rejected_;
  } else {
    if (again.cfg.metrics_listen != cfg_.metrics_listen || again.cfg.user != cfg_.user) {
      log(log_level::warning, "reload_needs_restart", {{"setting", "metrics_listen/user"}});
    }
    log_set_level(again.cfg.level);
    xdp_.update(srv().effective_config(), srv().listeners(), !draining_);
    if (again.cfg.xdp != cfg_.xdp) log(log_level::warning, "reload_needs_restart", {{"setting", "xdp"}});
    ++reloads_ok_;
    log(log_level::info, "reloaded", {{"listeners", std::to_string(srv().listeners().size())}});
  }
  end_drain("reload");  // accepted or not: the operator wants it back
  systemd::notify("READY=1\n" + status(srv()));
}

void service::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec) on_signal(sig);
  });
}

void service::on_signal(int sig) {
  if (sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGHUP) {
    if (sig == SIGUSR1)
      start_drain();
    else if (sig == SIGUSR2)
      end_drain("SIGUSR2");
    else
      reload();
    wait_for_signal();
    return;
  }
  log(log_level::info, "stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  systemd::notify("STOPPING=1");
  control_.stop();
}

}  // namespace

int run_service(const config& cfg, const resource_needs& needs, std::uint64_t fd_limit, int argc, char** argv) {
  service svc(cfg, argc, argv);
  return svc.run(needs, fd_limit);
}

}  // namespace pinhole::daemon
