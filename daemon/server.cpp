#include "server.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "handler.hpp"
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
  const auto& r = cfg.rfc5780;
  if (r.enabled && r.primary_ip.valid() && r.alternate_ip.valid()) {
    out.push_back({at_port(r.primary_ip, r.primary_port), socket_role::pp});
    out.push_back({at_port(r.primary_ip, r.alternate_port), socket_role::pa});
    out.push_back({at_port(r.alternate_ip, r.primary_port), socket_role::ap});
    out.push_back({at_port(r.alternate_ip, r.alternate_port), socket_role::aa});
  }
  for (const auto& l : cfg.listen) {
    const auto a = l.addr;
    bool dup = false;
    for (const auto& w : out) dup = dup || w.addr == a;
    if (!dup) out.push_back({a, socket_role::single});
  }
  return out;
}

void close_all(const std::vector<std::vector<int>>& fds) {
  for (const auto& per_listener : fds) {
    for (int fd : per_listener) ::close(fd);
  }
}

// True if a socket bound to `a` and one bound to `b` share datagrams' way in:
// same family and port, and the same IP or either a wildcard.
bool overlaps(const stun::transport_address& a, const stun::transport_address& b) noexcept {
  return a.fam == b.fam && a.port != 0 && a.port == b.port &&
         (a.ip == b.ip || a.is_unspecified() || b.is_unspecified());
}

// Opens one socket per worker for `w`. The quad keeps one port per column
// when ports are kernel-chosen: AP reuses PP's port and AA reuses PA's.
// `held` are pinholed's own listeners already bound (so_far plus, on reload,
// the running ones). Unless `share` (share_port), the first socket is bound
// exclusively: a port that another process already serves, including another
// pinholed of the same user that SO_REUSEPORT would silently split the
// traffic with, is refused (`in_use`). A listener that overlaps one of our
// own (0.0.0.0:P and 192.0.2.1:P, or a reload moving a role) cannot be
// exclusive and joins it as before.
outcome open_listener(const wanted& w, const std::vector<listener>& so_far, const std::vector<listener>& held,
                      bool share, std::size_t nworkers, listener& out, std::vector<int>& fds, bool& in_use) {
  stun::transport_address addr = w.addr;
  if (addr.port == 0 && (w.role == socket_role::ap || w.role == socket_role::aa)) {
    const auto column = static_cast<socket_role>(static_cast<unsigned>(w.role) - 2);
    for (const auto& l : so_far) {
      if (l.role == column) addr.port = l.bound.port;
    }
  }
  bool ours = false;
  for (const auto& l : held) ours = ours || overlaps(addr, l.bound);
  out.role = w.role;
  for (std::size_t k = 0; k < nworkers; ++k) {
    int fd = -1;
    stun::transport_address bound;
    socket_options opt;
    opt.exclusive = k == 0 && !share && !ours;
    if (auto ec = open_udp_socket(k == 0 ? addr : out.bound, opt, fd, bound)) {
      for (int f : fds) ::close(f);
      fds.clear();
      if (opt.exclusive && ec == std::errc::address_in_use) {
        in_use = true;
        return {ec, "pinholed: " + addr.to_string() +
                        " is already in use by another process (if it is a pinholed of this user, --share-port "
                        "shares the port with it, e.g. for an upgrade)"};
      }
      return {ec, "pinholed: cannot bind " + addr.to_string() + ": " + ec.message()};
    }
    if (k == 0) out.bound = bound;
    fds.push_back(fd);
  }
  out.name = out.bound.to_string();
  return {};
}

}  // namespace

std::size_t planned_listeners(const config& cfg) { return plan(cfg).size(); }

server::server(const config& cfg) : cfg_(cfg) {}

server::~server() { stop(); }

std::size_t server::worker_target() const noexcept {
  if (cfg_.workers > 0) return cfg_.workers;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? hw : 1;
}

void server::create_workers(std::size_t n) {
  counters_ = std::make_unique<counter_registry>(n);
  workers_.clear();
  for (std::size_t k = 0; k < n; ++k) workers_.push_back(std::make_unique<worker>(k, state_, cfg_.batch));
  last_beats_.assign(n, 0);
}

void server::attach(const entry& e, const std::vector<int>& fds) {
  for (std::size_t k = 0; k < workers_.size(); ++k) workers_[k]->add_socket(fds[k], e.info, e.counters->at(k));
}

outcome server::bind() {
  in_use_ = false;
  const auto want = plan(cfg_);
  const std::size_t nworkers = worker_target();
  std::vector<std::vector<int>> fds;
  std::vector<entry> entries;
  std::vector<listener> bound;
  for (const auto& w : want) {
    entry e;
    e.wanted = w.addr;
    fds.emplace_back();
    if (outcome st = open_listener(w, bound, bound, cfg_.share_port, nworkers, e.info, fds.back(), in_use_); !st) {
      close_all(fds);
      return st;
    }
    bound.push_back(e.info);
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    return {daemon_errc::nothing_to_listen, "pinholed: nothing to listen on"};
  }
  create_workers(nworkers);
  for (auto& e : entries) e.counters = counters_->add();
  entries_ = std::move(entries);
  listeners_ = std::move(bound);
  state_.store(make_runtime_state(cfg_, listeners_));
  for (std::size_t i = 0; i < entries_.size(); ++i) attach(entries_[i], fds[i]);
  return {};
}

outcome server::adopt(std::span<const int> inherited) {
  std::vector<entry> entries;
  for (int fd : inherited) {
    entry e;
    if (auto ec = adopt_udp_socket(fd, e.info.bound)) {
      return {ec, "pinholed: inherited socket " + std::to_string(fd) + ": " + ec.message()};
    }
    e.info.name = e.info.bound.to_string();
    e.wanted = e.info.bound;
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {
    return {daemon_errc::nothing_to_listen, "pinholed: no sockets were passed"};
  }
  adopted_ = true;
  const std::size_t nworkers = worker_target();
  create_workers(nworkers);
  listeners_.clear();
  for (auto& e : entries) {
    e.counters = counters_->add();
    listeners_.push_back(e.info);
  }
  entries_ = std::move(entries);
  state_.store(make_runtime_state(cfg_, listeners_));
  // Every worker reads the same inherited sockets; each gets its own
  // duplicate descriptor.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::vector<int> fds;
    for (std::size_t k = 0; k < nworkers; ++k)
      fds.push_back(k == 0 ? inherited[i] : ::fcntl(inherited[i], F_DUPFD_CLOEXEC, 3));
    attach(entries_[i], fds);
  }
  return {};
}

void server::start() {
  for (auto& w : workers_) w->start();
}

void server::stop() {
  for (auto& w : workers_) w->stop();
}

latency_snapshot server::latency() const noexcept {
  latency_snapshot s;
  for (const auto& w : workers_) s.add(w->latency());
  return s;
}

server::activity server::worker_activity() const noexcept {
  activity a;
  for (const auto& w : workers_) {
    a.wakeups += w->wakeups();
    a.polls += w->polls();
  }
  return a;
}

void server::set_dropping(bool on) {
  if (on == dropping_) return;
  dropping_ = on;
  const auto old_state = state_.load();
  state_.store(make_runtime_state(cfg_, listeners_, old_state.get(), dropping_));
}

bool server::check_workers() {
  bool ok = true;
  for (std::size_t k = 0; k < workers_.size(); ++k) {
    const std::uint64_t now = workers_[k]->beats();
    // Each call posts one heartbeat; by the next call it must have run.
    if (last_beats_[k] != 0 && now < last_beats_[k]) ok = false;
    last_beats_[k] = now + 1;
    workers_[k]->heartbeat();
  }
  return ok;
}

outcome server::reload(const config& cfg) {
  if (outcome st = validate(cfg); !st) return st;
  config next = cfg;
  if (next.workers != cfg_.workers || next.batch != cfg_.batch) {
    log(log_level::warning, "reload_needs_restart", {{"setting", "workers/batch"}});
    next.workers = cfg_.workers;
    next.batch = cfg_.batch;
  }
  const auto old_state = state_.load();
  if (adopted_) {
    if (next.listen != cfg_.listen || next.rfc5780 != cfg_.rfc5780) {
      log(log_level::warning, "reload_listeners_ignored",
          {{"reason", "sockets come from systemd (socket activation)"}});
    }
    next.listen = cfg_.listen;
    next.rfc5780 = cfg_.rfc5780;
    cfg_ = next;
    state_.store(make_runtime_state(cfg_, listeners_, old_state.get(), dropping_));
    return {};
  }

  // Bind what is new before touching anything: a failure leaves all as it was.
  const auto want = plan(next);
  std::vector<entry> next_entries;
  std::vector<listener> next_listeners;
  std::vector<bool> kept(entries_.size(), false);
  std::vector<std::vector<int>> new_fds(want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& w = want[i];
    bool found = false;
    for (std::size_t j = 0; j < entries_.size() && !found; ++j) {
      if (!kept[j] && entries_[j].wanted == w.addr && entries_[j].info.role == w.role) {
        kept[j] = true;
        found = true;
        next_entries.push_back(entries_[j]);
      }
    }
    if (!found) {
      entry e;
      e.wanted = w.addr;
      std::vector<listener> held = listeners_;
      held.insert(held.end(), next_listeners.begin(), next_listeners.end());
      bool in_use = false;
      if (outcome st =
              open_listener(w, next_listeners, held, next.share_port, workers_.size(), e.info, new_fds[i], in_use);
          !st) {
        close_all(new_fds);
        return st;
      }
      next_entries.push_back(std::move(e));
    }
    next_listeners.push_back(next_entries.back().info);
  }

  // Commit: publish the new state, serve the new sockets, then close the old.
  for (auto& e : next_entries) {
    if (!e.counters) e.counters = counters_->add();
  }
  state_.store(make_runtime_state(next, next_listeners, old_state.get(), dropping_));
  for (std::size_t i = 0; i < next_entries.size(); ++i) {
    if (new_fds[i].empty()) continue;
    attach(next_entries[i], new_fds[i]);
    log(log_level::info, "listener_added",
        {{"addr", next_entries[i].info.name}, {"role", role_name(next_entries[i].info.role)}});
  }
  for (std::size_t j = 0; j < entries_.size(); ++j) {
    if (kept[j]) continue;
    for (auto& w : workers_) w->remove_socket(entries_[j].info);
    counters_->retire(entries_[j].counters);
    log(log_level::info, "listener_removed",
        {{"addr", entries_[j].info.name}, {"role", role_name(entries_[j].info.role)}});
  }
  entries_ = std::move(next_entries);
  listeners_ = std::move(next_listeners);
  cfg_ = next;
  return {};
}

}  // namespace pinhole::daemon
