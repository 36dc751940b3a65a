// The public port_manager: owns the io_context and its one thread, posts
// every call to the manager_core there and waits at most call_timeout.
#include "pinhole/port_manager.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "address_conv.hpp"
#include "udp_io.hpp"

#include "caught_error.hpp"
#include "manager_core.hpp"
#include "port_manager_factory.hpp"
#include "resolver.hpp"
#include "server_list.hpp"
#include "server_refresher.hpp"
#include "stun/limits.hpp"

namespace pinhole {

namespace asio = boost::asio;
using client::manager_core;
using clock = std::chrono::steady_clock;

namespace {

// Shared between a blocked caller and the io thread. Whoever comes second
// sees the other's mark: a completion after the caller gave up is undone.
struct call_state {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
  std::error_code ec;
  mapping result;

  // Returns false if the caller already returned (timed out).
  bool complete(std::error_code e, const mapping& r) {
    std::lock_guard lk(m);
    if (abandoned) return false;
    done = true;
    ec = e;
    result = r;
    cv.notify_one();
    return true;
  }
};

}  // namespace

struct port_manager::impl {
  explicit impl(options o, std::vector<ip_endpoint> servers)
      : opts(o), work(io.get_executor()), core(io, std::move(o), std::move(servers)) {}

  options opts;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work;
  manager_core core;
  std::thread thread;
  std::thread::id thread_id;
  std::atomic<bool> created{false};  // create() has returned
  // Destroyed first (declared last): it stops calling back before the
  // io_context it posts to goes away.
  std::unique_ptr<client::server_refresher> refresher;

  enum class undo { nothing, release, stop_listen };

  bool on_io_thread() const noexcept { return std::this_thread::get_id() == thread_id; }

  // Runs `start(deadline, done)` on the io thread and waits for `done`.
  // `idle` (if any) runs on the caller's thread every few milliseconds while
  // it waits.
  template <class Start, class Idle = std::nullptr_t>
  std::error_code call(Start start, mapping* out, undo on_abandon, Idle idle = nullptr) noexcept {
    if (on_io_thread()) return make_error_code(errc::would_deadlock);
    try {
      auto st = std::make_shared<call_state>();
      const auto begin = clock::now();
      const auto budget = std::chrono::duration_cast<clock::duration>(opts.call_timeout);
      const auto deadline = begin + budget;
      // The core answers a little before the caller's own deadline so the
      // precise error (timeout vs. bad_response) wins the race.
      const auto margin = std::min<clock::duration>(budget / 10, std::chrono::milliseconds(20));
      asio::post(io, [this, st, start, on_abandon, core_deadline = deadline - margin]() mutable {
        start(core_deadline, [this, st, on_abandon](std::error_code ec, const mapping& m) {
          if (st->complete(ec, m) || ec) return;
          if (on_abandon == undo::release) core.release(m.internal, m.external);
          if (on_abandon == undo::stop_listen) core.stop_listen(m.internal);
        });
      });
      std::unique_lock lk(st->m);
      if constexpr (!std::is_same_v<Idle, std::nullptr_t>) {
        while (!st->done && clock::now() < deadline) {
          lk.unlock();
          idle();
          lk.lock();
          st->cv.wait_until(lk, std::min(deadline, clock::now() + std::chrono::milliseconds(2)),
                            [&] { return st->done; });
        }
      }
      if (!st->cv.wait_until(lk, deadline, [&] { return st->done; })) {
        st->abandoned = true;
        return make_error_code(errc::timeout);
      }
      if (out != nullptr) *out = st->result;
      return st->ec;
    } catch (...) {
      return client::caught_error();  // allocation failure (or a failed mutex/condition variable)
    }
  }

  // A call that completes at once on the io thread: from the io thread
  // itself (the application's callbacks) it runs inline instead of being
  // refused; from any other thread it goes through call().
  template <class F>
  std::error_code immediate(F f) noexcept {
    if (on_io_thread()) {
      try {
        return f();
      } catch (...) {
        return client::caught_error();
      }
    }
    return call([f](clock::time_point, const manager_core::done_fn& done) { done(f(), mapping{}); }, nullptr,
                undo::nothing);
  }
};

namespace {

// attach_socket while nobody reads the socket yet: looks at the first queued
// datagram without consuming it and offers it to handle_datagram().
class peeker {
 public:
  peeker(port_manager& pm, int fd, ip_endpoint local) : pm_(pm), fd_(fd), local_(local) {}
  void operator()() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0) return;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const auto n =
        ::recvfrom(fd_, buf_.data(), buf_.size(), MSG_PEEK | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n <= 0) return;
    ip_endpoint from;
    if (!client::from_sockaddr(ss, from)) return;
    const auto data = std::span<const std::byte>(buf_).first(static_cast<std::size_t>(n));
    // The same head again (the answer left queued, or foreign traffic): offer
    // it once only.
    if (seen_ && from == last_from_ && static_cast<std::size_t>(n) == last_size_ &&
        std::equal(data.begin(), data.end(), last_.begin())) {
      return;
    }
    seen_ = true;
    last_from_ = from;
    last_size_ = static_cast<std::size_t>(n);
    std::copy(data.begin(), data.end(), last_.begin());
    pm_.handle_datagram(local_, from, data);
  }

 private:
  port_manager& pm_;
  int fd_;
  ip_endpoint local_;
  std::array<std::byte, 1500> buf_{};
  std::array<std::byte, 1500> last_{};
  std::size_t last_size_ = 0;
  ip_endpoint last_from_;
  bool seen_ = false;
};

}  // namespace

// The one friend of port_manager: names its impl and its private constructor.
struct detail::port_manager_access {
  using impl = port_manager::impl;
  static std::unique_ptr<port_manager> wrap(std::unique_ptr<impl> p) {
    return std::unique_ptr<port_manager>(new port_manager(std::move(p)));
  }
};

std::unique_ptr<port_manager> port_manager::create(options opts, std::error_code& ec) noexcept {
  try {
    return client::create_port_manager(std::move(opts), std::make_shared<client::system_resolver>(), ec);
  } catch (...) {
    ec = client::caught_error();
    return nullptr;
  }
}

std::unique_ptr<port_manager> client::create_port_manager(options opts, std::shared_ptr<client::dns_resolver> dns,
                                                          std::error_code& ec) noexcept {
  try {
    ec.clear();
    if (opts.call_timeout <= std::chrono::milliseconds::zero() || opts.transaction.rto.count() <= 0) {
      ec = make_error_code(errc::invalid_argument);
      return nullptr;
    }
    // RFC 8489 §14.3: USERNAME "fewer than 509 bytes"; the writer would
    // refuse it on every request, so say so now.
    if (opts.auth && opts.auth->username.size() > stun::limits::username_bytes) {
      ec = make_error_code(errc::invalid_argument);
      return nullptr;
    }
    for (const auto& r : opts.port_ranges) {
      if (!r.any() && (r.min == 0 || r.min > r.max)) {
        ec = make_error_code(errc::invalid_argument);
        return nullptr;
      }
    }
    const auto begin = clock::now();
    // IP literals are known at once; names are resolved on the refresher's
    // thread, so a dead or missing network never blocks create() beyond
    // call_timeout, and a name that does not resolve yet (a softphone
    // started before the network) does not fail it: it is looked up again
    // until it resolves, and calls say errc::no_server_resolved meanwhile.
    std::vector<ip_endpoint> servers;
    if ((ec = client::literal_servers(opts.servers, servers))) return nullptr;
    std::vector<client::turn_target> relays;
    if ((ec = client::parse_turn_servers(opts.turn_servers, relays))) return nullptr;
    using impl = detail::port_manager_access::impl;
    auto p = std::make_unique<impl>(std::move(opts), servers);
    p->core.set_relays(std::move(relays));
    impl* raw = p.get();
    const options& o = raw->opts;
    if (client::server_refresher::has_names(o.servers)) {
      // After every server failed: again soon, but not in a loop (1/30 of
      // the interval, between 0.1 and 10 s). Names not resolved yet: every
      // 2 s at most. dns_refresh 0: only until every name resolved once.
      const auto refresh = std::max<clock::duration>(o.dns_refresh, clock::duration::zero());
      const auto min_gap =
          std::clamp<clock::duration>(refresh / 30, std::chrono::milliseconds(100), std::chrono::seconds(10));
      const auto retry =
          refresh > clock::duration::zero()
              ? std::clamp<clock::duration>(refresh / 30, std::chrono::milliseconds(100), std::chrono::seconds(2))
              : clock::duration(std::chrono::seconds(2));
      p->refresher = std::make_unique<client::server_refresher>(
          o.servers, o.use_srv, std::move(dns), refresh, min_gap, std::move(servers),
          [raw](const std::vector<ip_endpoint>& fresh) {
            // The lookup create() waited for is the first resolution, not an update.
            const bool initial = !raw->created.load();
            asio::post(raw->io, [raw, fresh, initial] { raw->core.replace_servers(fresh, initial); });
          },
          true, retry);
      raw->core.on_servers_exhausted([r = raw->refresher.get()] { r->refresh_soon(); });
      // The first lookup, bounded by the call budget: its result (if any)
      // is posted to the io thread before anything a caller posts later.
      raw->refresher->wait_first_round(begin + o.call_timeout);
    }
    raw->created = true;
    p->thread = std::thread([raw] { raw->io.run(); });
    p->thread_id = p->thread.get_id();
    asio::post(p->io, [raw] {
      raw->core.start_prewarm();
      raw->core.start_netmon();
    });
    return detail::port_manager_access::wrap(std::move(p));
  } catch (...) {
    ec = client::caught_error();
    return nullptr;
  }
}

port_manager::port_manager(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}

port_manager::~port_manager() {
  if (!impl_) return;
  asio::post(impl_->io, [p = impl_.get()] { p->core.shutdown(); });
  impl_->work.reset();
  if (impl_->thread.joinable()) {
    if (std::this_thread::get_id() == impl_->thread_id) {
      impl_->thread.detach();  // destroyed from a callback: cannot join ourselves
    } else {
      impl_->thread.join();
    }
  }
}

std::error_code port_manager::get_mapping(const ip_endpoint& remote, port_type type, mapping& out) noexcept {
  if (!port_type_from_int(static_cast<int>(type))) return make_error_code(errc::invalid_argument);
  return impl_->call(
      [this, remote, type](clock::time_point d, manager_core::done_fn done) {
        impl_->core.get_mapping(remote, type, d, std::move(done));
      },
      &out, impl::undo::release);
}

std::error_code port_manager::get_mapping(std::string_view remote_address, port_type type, mapping& out) noexcept {
  try {
    const auto remote = ip_endpoint::parse(remote_address, true);
    if (!remote) return make_error_code(errc::invalid_argument);
    return get_mapping(*remote, type, out);
  } catch (...) {
    return make_error_code(errc::invalid_argument);
  }
}

std::error_code port_manager::update_remote_address(const ip_endpoint& remote, const ip_endpoint& internal,
                                                    const ip_endpoint& external, mapping* updated) noexcept {
  return impl_->call(
      [this, remote, internal, external](clock::time_point d, const manager_core::done_fn& done) {
        impl_->core.update_remote(remote, internal, external, d, done);
      },
      updated, impl::undo::nothing);
}

std::error_code port_manager::release_mapping(const ip_endpoint& internal, const ip_endpoint& external) noexcept {
  return impl_->immediate([this, internal, external] { return impl_->core.release(internal, external); });
}

std::error_code port_manager::start_listen(const ip_endpoint& internal, mapping& out) noexcept {
  return impl_->call(
      [this, internal](clock::time_point d, const manager_core::done_fn& done) {
        impl_->core.start_listen(internal, d, done);
      },
      &out, impl::undo::stop_listen);
}

std::error_code port_manager::stop_listen(const ip_endpoint& internal) noexcept {
  return impl_->immediate([this, internal] { return impl_->core.stop_listen(internal); });
}

std::error_code port_manager::get_port_range(port_type type, port_range& out) const noexcept {
  if (!port_type_from_int(static_cast<int>(type))) return make_error_code(errc::invalid_argument);
  out = impl_->opts.port_ranges[static_cast<std::size_t>(type)];
  return {};
}

std::error_code port_manager::adopt_socket(native_handle_type fd, port_type type, const ip_endpoint& remote,
                                           mapping& out) noexcept {
  if (fd < 0) return make_error_code(errc::invalid_argument);
  // The descriptor is taken whatever happens (see the header).
  if (!port_type_from_int(static_cast<int>(type))) {
    ::close(fd);
    return make_error_code(errc::invalid_argument);
  }
  if (impl_->on_io_thread()) {
    ::close(fd);
    return make_error_code(errc::would_deadlock);
  }
  return impl_->call(
      [this, fd, type, remote](clock::time_point d, manager_core::done_fn done) {
        impl_->core.adopt(fd, type, remote, d, std::move(done));
      },
      &out, impl::undo::release);
}

std::error_code port_manager::attach_socket(native_handle_type fd, port_type type, const ip_endpoint& remote,
                                            mapping& out) noexcept {
  if (fd < 0 || !port_type_from_int(static_cast<int>(type))) return make_error_code(errc::invalid_argument);
  const auto local = client::local_endpoint(fd);
  if (!local || local->port == 0) return make_error_code(errc::invalid_argument);
  try {
    auto peek = std::make_unique<peeker>(*this, fd, *local);
    return impl_->call(
        [this, fd, type, remote](clock::time_point d, manager_core::done_fn done) {
          impl_->core.attach(fd, type, remote, d, std::move(done));
        },
        &out, impl::undo::release, [&peek] { (*peek)(); });
  } catch (...) {
    return client::caught_error();
  }
}

bool port_manager::handle_datagram(const ip_endpoint& local, const ip_endpoint& from,
                                   std::span<const std::byte> data) noexcept {
  // Media first: one byte decides (RFC 7983), no lock, no allocation.
  if (!client::is_stun_first_byte(data)) return false;
  const auto id = client::stun_transaction_id(data);
  if (!id) return false;
  std::uint64_t owner = 0;
  const auto m = impl_->core.attached_txids().find(*id, local, &owner);
  if (m == client::txid_registry::match::none) return false;     // a peer's or the stack's own STUN
  if (m == client::txid_registry::match::finished) return true;  // a late duplicate answer
  try {
    asio::post(impl_->io, [p = impl_.get(), owner, from, bytes = std::vector<std::byte>(data.begin(), data.end())] {
      p->core.deliver(owner, from, bytes);
    });
  } catch (...) {
    // Out of memory: the transaction retransmits and the next answer comes.
  }
  return true;
}

datagram_kind port_manager::handle_datagram(const ip_endpoint& local, const ip_endpoint& from,
                                            std::span<const std::byte> data, relayed_datagram& out) noexcept {
  if (data.empty()) return datagram_kind::application;
  const auto first = std::to_integer<unsigned>(data[0]);
  // RFC 7983 §7: 0..3 STUN, 64..79 TURN ChannelData; media returns at once.
  if (first > 3 && (first < 64 || first > 79)) return datagram_kind::application;
  switch (impl_->core.relays().unwrap(local, from, data, out.peer, out.payload)) {
    case client::relay_directory::unwrapped::data: return datagram_kind::relayed;
    case client::relay_directory::unwrapped::dropped: return datagram_kind::library;
    case client::relay_directory::unwrapped::control:
      // The TURN server's STUN: an answer goes to its transaction (by ID);
      // anything else it sends this socket is no one else's either.
      (void)handle_datagram(local, from, data);
      return datagram_kind::library;
    case client::relay_directory::unwrapped::not_relayed:
    case client::relay_directory::unwrapped::not_turn: break;
  }
  return handle_datagram(local, from, data) ? datagram_kind::library : datagram_kind::application;
}

std::error_code port_manager::detach_socket(const ip_endpoint& internal) noexcept {
  return impl_->immediate([this, internal] { return impl_->core.detach(internal); });
}

std::error_code port_manager::send(const ip_endpoint& internal, const ip_endpoint& to,
                                   std::span<const std::byte> data) noexcept {
  // A sendto() from the caller's thread: nothing to wait for, so it is never
  // refused on the library's own thread either.
  if (auto relayed = impl_->core.relays().send(internal, to, data)) return *relayed;  // TURN: wrapped
  return impl_->core.directory().send(internal, to, data);
}

port_manager_stats port_manager::stats() const noexcept { return impl_->core.stats(); }

void port_manager::network_changed() noexcept {
  try {
    asio::post(impl_->io, [p = impl_.get()] { p->core.network_changed(); });
  } catch (...) {
    // Out of memory: the monitor and the keep-alives still follow the network.
  }
}

std::error_code port_manager::mapping_info(const ip_endpoint& internal, mapping& out) noexcept {
  return impl_->immediate([this, internal, &out] { return impl_->core.info(internal, out); });
}

void port_manager::reprobe_gateways() noexcept {
  try {
    asio::post(impl_->io, [p = impl_.get()] { p->core.reprobe_gateways(); });
  } catch (...) {
    // Out of memory: the next network change or creation probes again.
  }
}

bool port_manager::is_relayed(const ip_endpoint& internal) const noexcept {
  return impl_->core.relays().contains(internal);
}

}  // namespace pinhole
