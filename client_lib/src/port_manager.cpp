// The public port_manager: owns the io_context and its one thread, posts
// every call to the manager_core there and waits at most call_timeout.
#include "pinhole/port_manager.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "manager_core.hpp"
#include "resolver.hpp"
#include "server_list.hpp"
#include "server_refresher.hpp"

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
  // Destroyed first (declared last): it stops calling back before the
  // io_context it posts to goes away.
  std::unique_ptr<client::server_refresher> refresher;

  enum class undo { nothing, release, stop_listen };

  // Runs `start(deadline, done)` on the io thread and waits for `done`.
  template <class Start>
  std::error_code call(Start start, mapping* out, undo on_abandon) noexcept {
    if (std::this_thread::get_id() == thread_id) return make_error_code(errc::would_deadlock);
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
      if (!st->cv.wait_until(lk, deadline, [&] { return st->done; })) {
        st->abandoned = true;
        return make_error_code(errc::timeout);
      }
      if (out != nullptr) *out = st->result;
      return st->ec;
    } catch (...) {
      return make_error_code(errc::socket_error);  // allocation failure
    }
  }
};

std::unique_ptr<port_manager> port_manager::create(options opts, std::error_code& ec) noexcept {
  try {
    return client::create_port_manager(std::move(opts), std::make_shared<client::system_resolver>(), ec);
  } catch (...) {
    ec = make_error_code(errc::socket_error);
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
    for (const auto& r : opts.port_ranges) {
      if (!r.any() && (r.min == 0 || r.min > r.max)) {
        ec = make_error_code(errc::invalid_argument);
        return nullptr;
      }
    }
    std::vector<ip_endpoint> servers;
    if ((ec = client::resolve_servers(opts.servers, opts.use_srv, *dns, servers))) return nullptr;
    auto p = std::make_unique<port_manager::impl>(std::move(opts), servers);
    port_manager::impl* raw = p.get();
    const options& o = raw->opts;
    if (o.dns_refresh > std::chrono::milliseconds::zero() && client::server_refresher::has_names(o.servers)) {
      // After every server failed: again soon, but not in a loop (1/30 of
      // the interval, between 0.1 and 10 s).
      const auto min_gap =
          std::clamp<clock::duration>(o.dns_refresh / 30, std::chrono::milliseconds(100), std::chrono::seconds(10));
      p->refresher = std::make_unique<client::server_refresher>(
          o.servers, o.use_srv, std::move(dns), o.dns_refresh, min_gap, std::move(servers),
          [raw](const std::vector<ip_endpoint>& fresh) {
            asio::post(raw->io, [raw, fresh] { raw->core.replace_servers(fresh); });
          });
      raw->core.on_servers_exhausted([r = raw->refresher.get()] { r->refresh_soon(); });
    }
    p->thread = std::thread([raw] { raw->io.run(); });
    p->thread_id = p->thread.get_id();
    asio::post(p->io, [raw] { raw->core.start_prewarm(); });
    return std::unique_ptr<port_manager>(new port_manager(std::move(p)));
  } catch (...) {
    ec = make_error_code(errc::socket_error);
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
  return impl_->call([this, remote, type](clock::time_point d, manager_core::done_fn done) {
    impl_->core.get_mapping(remote, type, d, std::move(done));
  }, &out, impl::undo::release);
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
  return impl_->call([this, remote, internal, external](clock::time_point d, manager_core::done_fn done) {
    impl_->core.update_remote(remote, internal, external, d, std::move(done));
  }, updated, impl::undo::nothing);
}

std::error_code port_manager::release_mapping(const ip_endpoint& internal, const ip_endpoint& external) noexcept {
  return impl_->call([this, internal, external](clock::time_point, manager_core::done_fn done) {
    done(impl_->core.release(internal, external), mapping{});
  }, nullptr, impl::undo::nothing);
}

std::error_code port_manager::start_listen(const ip_endpoint& internal, mapping& out) noexcept {
  return impl_->call([this, internal](clock::time_point d, manager_core::done_fn done) {
    impl_->core.start_listen(internal, d, std::move(done));
  }, &out, impl::undo::stop_listen);
}

std::error_code port_manager::stop_listen(const ip_endpoint& internal) noexcept {
  return impl_->call([this, internal](clock::time_point, manager_core::done_fn done) {
    done(impl_->core.stop_listen(internal), mapping{});
  }, nullptr, impl::undo::nothing);
}

std::error_code port_manager::get_port_range(port_type type, port_range& out) const noexcept {
  if (!port_type_from_int(static_cast<int>(type))) return make_error_code(errc::invalid_argument);
  out = impl_->opts.port_ranges[static_cast<std::size_t>(type)];
  return {};
}

std::error_code port_manager::adopt_socket(native_handle_type fd, port_type type, const ip_endpoint& remote,
                                           mapping& out) noexcept {
  if (fd < 0 || !port_type_from_int(static_cast<int>(type))) return make_error_code(errc::invalid_argument);
  return impl_->call([this, fd, type, remote](clock::time_point d, manager_core::done_fn done) {
    impl_->core.adopt(fd, type, remote, d, std::move(done));
  }, &out, impl::undo::release);
}

std::error_code port_manager::send(const ip_endpoint& internal, const ip_endpoint& to,
                                   std::span<const std::byte> data) noexcept {
  try {
    std::vector<std::byte> copy(data.begin(), data.end());
    return impl_->call([this, internal, to, copy = std::move(copy)](clock::time_point, manager_core::done_fn done) {
      done(impl_->core.send(internal, to, copy), mapping{});
    }, nullptr, impl::undo::nothing);
  } catch (...) {
    return make_error_code(errc::socket_error);
  }
}

port_manager_stats port_manager::stats() const noexcept { return impl_->core.stats(); }

}  // namespace pinhole
