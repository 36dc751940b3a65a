#include "server.hpp"

#include <unistd.h>

#include <thread>

#include "log.hpp"
#include "udp_socket.hpp"

namespace pinhole::daemon {
namespace {

struct wanted {
  stun::transport_address addr;
  socket_role role;
};

// The listeners to bind, in order: the RFC 5780 quad first (PP, PA, AP, AA),
// then every configured listen address that is not one of them.
std::vector<wanted> plan(const config& cfg) {
  std::vector<wanted> out;
  if (cfg.rfc5780.enabled) {
    const auto ip1 = stun::transport_address::parse_ip(cfg.rfc5780.primary_ip, cfg.rfc5780.primary_port);
    const auto ip2 = stun::transport_address::parse_ip(cfg.rfc5780.alternate_ip, cfg.rfc5780.primary_port);
    if (ip1 && ip2) {
      auto pa = *ip1;
      pa.port = cfg.rfc5780.alternate_port;
      auto aa = *ip2;
      aa.port = cfg.rfc5780.alternate_port;
      out.push_back({*ip1, socket_role::pp});
      out.push_back({pa, socket_role::pa});
      out.push_back({*ip2, socket_role::ap});
      out.push_back({aa, socket_role::aa});
    }
  }
  for (const auto& l : cfg.listen) {
    const auto a = to_address(l);
    bool dup = false;
    for (const auto& w : out) dup = dup || w.addr == a;
    if (!dup) out.push_back({a, socket_role::single});
  }
  return out;
}

void close_all(const std::vector<std::vector<int>>& fds) {
  for (const auto& per_worker : fds) {
    for (int fd : per_worker) ::close(fd);
  }
}

}  // namespace

server::server(const config& cfg) : cfg_(cfg) {}

server::~server() { stop(); }

std::size_t server::worker_target() const noexcept {
  if (cfg_.workers > 0) return cfg_.workers;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? hw : 1;
}

bool server::bind(std::string& error) {
  const auto want = plan(cfg_);
  const std::size_t nworkers = worker_target();
  std::vector<std::vector<int>> fds(nworkers);
  listeners_.clear();
  for (const auto& w : want) {
    stun::transport_address addr = w.addr;
    // Port 0 asks the kernel for a port; the quad keeps one port per column:
    // AP reuses PP's port and AA reuses PA's.
    if (addr.port == 0 && (w.role == socket_role::ap || w.role == socket_role::aa)) {
      addr.port = listeners_[static_cast<std::size_t>(w.role) - 2].bound.port;
    }
    listener l;
    l.role = w.role;
    for (std::size_t k = 0; k < nworkers; ++k) {
      int fd = -1;
      stun::transport_address bound;
      if (auto ec = open_udp_socket(k == 0 ? addr : l.bound, socket_options{}, fd, bound)) {
        error = "pinholed: cannot bind " + addr.to_string() + ": " + ec.message();
        close_all(fds);
        listeners_.clear();
        return false;
      }
      if (k == 0) l.bound = bound;
      fds[k].push_back(fd);
    }
    l.name = l.bound.to_string();
    listeners_.push_back(std::move(l));
  }
  if (listeners_.empty()) {
    error = "pinholed: nothing to listen on";
    return false;
  }
  create_workers(fds);
  return true;
}

bool server::adopt(std::span<const int> inherited, std::string& error) {
  listeners_.clear();
  std::vector<int> shared;
  for (int fd : inherited) {
    listener l;
    if (auto ec = adopt_udp_socket(fd, l.bound)) {
      error = "pinholed: inherited socket " + std::to_string(fd) + ": " + ec.message();
      return false;
    }
    l.name = l.bound.to_string();
    listeners_.push_back(std::move(l));
    shared.push_back(fd);
  }
  if (listeners_.empty()) {
    error = "pinholed: no sockets were passed";
    return false;
  }
  // Every worker reads the same inherited sockets (the kernel hands each
  // datagram to one reader); each worker gets its own duplicate descriptor.
  const std::size_t nworkers = worker_target();
  std::vector<std::vector<int>> fds(nworkers);
  for (std::size_t k = 0; k < nworkers; ++k) {
    for (int fd : shared) fds[k].push_back(k == 0 ? fd : ::dup(fd));
  }
  create_workers(fds);
  return true;
}

void server::create_workers(const std::vector<std::vector<int>>& fds) {
  counters_ = std::make_unique<counter_table>(fds.size(), listeners_.size());
  state_.store(make_runtime_state(cfg_, listeners_));
  workers_.clear();
  for (std::size_t k = 0; k < fds.size(); ++k) {
    workers_.push_back(std::make_unique<worker>(k, fds[k], listeners_, *counters_, state_, cfg_.batch));
  }
}

void server::start() {
  for (auto& w : workers_) w->start();
}

void server::stop() {
  for (auto& w : workers_) w->stop();
}

bool server::reload(const config& cfg, std::string& error) {
  if (!validate(cfg, error)) return false;
  cfg_ = cfg;
  state_.store(make_runtime_state(cfg_, listeners_));
  return true;
}

}  // namespace pinhole::daemon
