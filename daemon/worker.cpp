#include "worker.hpp"

#include <boost/asio/post.hpp>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <future>

#include "log.hpp"
#include "thread_signals.hpp"
#include "udp_socket.hpp"

namespace pinhole::daemon {
namespace {

counter error_counter(std::uint16_t code) noexcept {
  switch (code) {
    case 400: return counter::error_400;
    case 401: return counter::error_401;
    case 420: return counter::error_420;
    default: return counter::error_other;
  }
}

counter drop_counter(verdict v) noexcept {
  switch (v) {
    case verdict::drop_indication: return counter::dropped_indication;
    case verdict::drop_response: return counter::dropped_response;
    default: return counter::dropped_malformed;
  }
}

bool same_listener(const listener& a, const listener& b) noexcept { return a.bound == b.bound && a.role == b.role; }

// Every datagram is counted received; then drain mode, truncation and abuse
// control, before any parsing: the allow-list, then the per-source budget
// (every datagram from a source costs, answered or not). false: dropped
// and counted.
bool admit(const packet_batch::incoming& d, const stun::transport_address& source, const runtime_state& state,
           std::uint64_t t_rx, counter_block& c) noexcept {
  c.add(counter::received);
  c.add(counter::bytes_in, d.payload.size());
  if (state.drop_all) {  // drain mode past its grace
    c.add(counter::dropped_draining);
    return false;
  }
  if (d.truncated) {
    c.add(counter::dropped_malformed);
    return false;
  }
  if (!state.allow.allows(source)) {
    c.add(counter::dropped_acl);
    return false;
  }
  if (state.per_source && !state.per_source->allow(key_of(source), t_rx)) {
    c.add(counter::dropped_rate_limited);
    return false;
  }
  return true;
}

// Sends what the batch queued; each answer ends in its counter (tagged when
// queued) once the kernel took it, else in send_failed.
void flush_and_count(packet_batch& b, int fd, counter_block& c) noexcept {
  const std::size_t queued = b.queued();
  b.flush(fd);
  for (std::size_t k = 0; k < queued; ++k) {
    if (!b.flushed_ok(k)) {
      c.add(counter::send_failed);
      continue;
    }
    c.add(static_cast<counter>(b.flushed_tag(k)));
    c.add(counter::bytes_out, b.flushed_size(k));
  }
}

}  // namespace

worker::worker(std::size_t id, const state_ref& state, std::size_t batch) : id_(id), state_(state), batch_(batch) {}

worker::~worker() {
  try {
    stop();
    // Close every socket, then let the aborted waits run so they release their
    // references while the io_context is still alive.
    for (auto& s : slots_) {
      s->closed = true;
      boost::system::error_code ignored;
      s->sock.close(ignored);
    }
    slots_.clear();
    io_.restart();
    io_.poll();
  } catch (...) {
    // std::thread::join and asio's poll throw only on a broken thread or
    // reactor; a destructor must not throw.
  }
}

void worker::add_socket(int fd, const listener& l, counter_block& c) {
  run_on_loop([&] { do_add(fd, l, c); });
}

void worker::remove_socket(const listener& l) {
  run_on_loop([&] { do_remove(l); });
}

void worker::run_on_loop(const std::function<void()>& task) {
  if (!running_.load()) {
    task();
    return;
  }
  std::promise<void> done;
  boost::asio::post(io_, [&] {
    task();
    done.set_value();
  });
  done.get_future().wait();
}

void worker::do_add(int fd, const listener& l, counter_block& c) {
  const auto proto = l.bound.fam == stun::family::ipv4 ? boost::asio::ip::udp::v4() : boost::asio::ip::udp::v6();
  auto s = std::make_shared<slot>(io_, proto, fd, batch_);
  s->info = l;
  s->counters = &c;
  slots_.push_back(s);
  update_roles();
  if (running_.load()) arm(s);
}

void worker::do_remove(const listener& l) {
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if (!same_listener((*it)->info, l)) continue;
    (*it)->closed = true;
    boost::system::error_code ignored;
    (*it)->sock.close(ignored);  // its pending wait completes as aborted
    slots_.erase(it);
    break;
  }
  update_roles();
}

void worker::update_roles() {
  role_fd_ = {-1, -1, -1, -1};
  for (const auto& s : slots_) {
    if (s->info.role != socket_role::single) role_fd_[static_cast<std::size_t>(s->info.role)] = s->sock.native_handle();
  }
}

void worker::start() {
  for (const auto& s : slots_) arm(s);
  running_.store(true);
  thread_ = thread_without_control_signals([this] { io_.run(); });
  // "ph-worker-N" in top -H, perf and gdb (at most 15 characters).
  const std::string name = "ph-worker-" + std::to_string(id_ % 100000);
  pthread_setname_np(thread_.native_handle(), name.c_str());
}

void worker::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
  running_.store(false);
}

void worker::heartbeat() {
  boost::asio::post(io_, [this] { beats_.fetch_add(1, std::memory_order_relaxed); });
}

void worker::arm(const std::shared_ptr<slot>& s) {
  s->sock.async_wait(boost::asio::socket_base::wait_read, [this, s](const boost::system::error_code& ec) {
    if (ec || s->closed) return;  // cancelled or removed on reload
    single_writer_add(wakeups_);
    const std::uint64_t start = monotonic_ns();
    coalesce(drain(*s), start);
    arm(s);
  });
}

// Interrupt coalescing in user space. Each readiness event costs a sleep and
// a wakeup (a context switch, an epoll_wait, and Asio's epoll_ctl re-arm),
// whatever the number of datagrams it brings. Under load, sleeping for a
// fixed interval and then reading every socket serves the same datagrams
// with fewer wakeups, for at most coalesce_us of extra queueing delay. Load
// means: this wakeup found two or more datagrams, or came within coalesce_us
// of the previous one. Polling stops when a poll finds fewer than two (the
// readiness wait is then as cheap) or after poll_budget_ns (at least
// min_polls_per_wakeup polls).
// Polls are due every coalesce_us from the start of the previous read, not
// coalesce_us after its end: when reading takes longer than the interval the
// worker does not sleep at all, so coalescing never lowers the rate a worker
// can sustain.
void worker::coalesce(std::size_t first, std::uint64_t started) noexcept {
  const std::uint64_t interval_ns = std::uint64_t{state_.get().cfg.coalesce_us} * 1000;
  const std::uint64_t gap = started - last_wakeup_ns_;
  last_wakeup_ns_ = started;
  if (interval_ns == 0 || (first < 2 && gap >= interval_ns)) return;
  std::uint64_t due = started;
  const std::uint64_t polls = std::max(min_polls_per_wakeup, poll_budget_ns / interval_ns);
  for (std::uint64_t poll = 0; poll < polls; ++poll) {
    due += interval_ns;
    if (monotonic_ns() < due) {
      const timespec at{static_cast<time_t>(due / 1000000000), static_cast<long>(due % 1000000000)};
      while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {}
    } else {
      due = monotonic_ns();  // behind: read now, and do not try to catch up
    }
    single_writer_add(polls_);
    std::size_t got = 0;
    // Every socket: one that is busy must not starve the others, whose
    // readiness events wait in epoll until this handler returns.
    for (const auto& other : slots_) {
      if (!other->closed) got += drain(*other);
    }
    if (got < 2) break;
  }
  last_wakeup_ns_ = due;
}

std::size_t worker::drain(std::size_t i) noexcept { return drain(*slots_[i]); }

std::size_t worker::drain(slot& s) noexcept {
  const int fd = s.sock.native_handle();
  packet_batch& b = s.batch;
  counter_block& c = *s.counters;
  const socket_role role = s.info.role;
  const runtime_state& state = state_.get();  // one uncontended load per wakeup, not per packet
  const handler_config& hcfg = state.handler;
  global_limiter* const global = state.global.get();
  std::uint32_t credit = 0;  // responses granted by the global cap and not used yet
  std::size_t total = 0;

  for (int round = 0; round < rounds_per_wakeup; ++round) {
    const int n = b.receive(fd);
    if (n <= 0) {
      if (n < 0) log(log_level::debug, "recv_error", {{"errno", std::to_string(-n)}});
      break;
    }
    const std::uint64_t t_rx = monotonic_ns();
    total += static_cast<std::size_t>(n);
    for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
      const auto& d = b.at(k);
      // An IPv4 client of a dual-stack IPv6 socket shows up as ::ffff:a.b.c.d;
      // it is an IPv4 client. RFC 8489 §14.1: "the address family of the IP
      // address ... MUST be set to 0x01 if IPv4": XOR-MAPPED-ADDRESS, the
      // ACL and the rate limiter all see the IPv4 address. The reply goes
      // back through the socket in its own (mapped) form.
      const bool mapped = d.peer.is_v4_mapped();
      const stun::transport_address source = mapped ? d.peer.unmap_v4() : d.peer;
      if (!admit(d, source, state, t_rx, c)) continue;
      const auto out = b.tx_buffer();
      const handler_result r = handle_request(d.payload, source, role, hcfg, out);
      if (!r.answered()) {
        c.add(drop_counter(r.what));
        continue;
      }
      if (global != nullptr) {
        // The global cap is taken in chunks (one CAS per batch, not per packet).
        if (credit == 0) credit = global->acquire(t_rx, static_cast<std::uint32_t>(static_cast<std::size_t>(n) - k));
        if (credit == 0) {
          c.add(counter::dropped_global_limit);
          continue;
        }
        --credit;
      }
      // Each datagram ends in exactly one counter: an answer counts as
      // answered (or its error code) once the kernel took it, else as
      // send_failed.
      const counter result = r.what == verdict::success ? counter::answered : error_counter(r.error_code);
      const stun::transport_address to = mapped ? r.destination.map_v4() : r.destination;
      if (r.send_from == role || role == socket_role::single) {
        b.queue(r.size, to, d, static_cast<std::uint8_t>(result));
      } else {
        // RFC 5780 §6.1: the response to a CHANGE-REQUEST leaves from the
        // socket of the requested role (alternate IP and/or port).
        const int other = role_fd_[static_cast<std::size_t>(r.send_from)];
        if (other >= 0 && packet_batch::send_one(other, out.first(r.size), to)) {
          c.add(result);
          c.add(counter::bytes_out, r.size);
        } else {
          c.add(counter::send_failed);
        }
      }
    }
    flush_and_count(b, fd, c);
    latency_.observe(monotonic_ns() - t_rx, static_cast<std::uint64_t>(n));
    if (static_cast<std::size_t>(n) < b.capacity()) break;  // drained
  }
  if (credit > 0) global->release(credit);
  return total;
}

}  // namespace pinhole::daemon
