#include "service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <string>

#include "cli.hpp"
#include "log.hpp"
#include "server.hpp"

namespace pinhole::daemon {
namespace {

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
    log(log_level::info, "listening", {{"addr", l.name}, {"role", role}});
  }
}

}  // namespace

int run_service(const config& cfg, int argc, char** argv) {
  server srv(cfg);
  std::string error;
  if (!srv.bind(error)) {
    log(log_level::error, "bind_failed", {{"error", error}});
    return 1;
  }
  log_listeners(srv);
  srv.start();
  log(log_level::info, "started",
      {{"workers", std::to_string(srv.worker_count())},
       {"rfc5780", srv.state()->handler.rfc5780 ? "on" : "off"}});

  boost::asio::io_context control(1);
  boost::asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      const auto again = parse_cli(argc, argv);
      std::string why;
      if (again.what != cli_result::action::run) {
        log(log_level::error, "reload_rejected", {{"error", again.message}});
      } else if (!srv.reload(again.cfg, why)) {
        log(log_level::error, "reload_rejected", {{"error", why}});
      } else {
        log_set_level(again.cfg.level);
        log(log_level::info, "reloaded");
      }
      signals.async_wait(on_signal);
      return;
    }
    log(log_level::info, "stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    control.stop();
  };
  signals.async_wait(on_signal);
  control.run();
  srv.stop();
  const auto t = srv.counters().total();
  log(log_level::info, "stopped",
      {{"received", std::to_string(t[static_cast<std::size_t>(counter::received)])},
       {"answered", std::to_string(t[static_cast<std::size_t>(counter::answered)])}});
  return 0;
}

}  // namespace pinhole::daemon
