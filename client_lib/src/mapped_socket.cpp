// Transactions and the receive loop of one mapped socket.
#include "mapped_socket.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

#include "pinhole/errors.hpp"
#include "random.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

namespace {

asio::ip::udp protocol_of(ip_family f) { return f == ip_family::v4 ? asio::ip::udp::v4() : asio::ip::udp::v6(); }

}  // namespace

mapped_socket::mapped_socket(asio::io_context& io, int fd, ip_endpoint local, std::span<std::byte> rx,
                             socket_counters& counters, txid_registry* app_reads, std::uint64_t owner)
    : io_(io), sock_(io), fd_(fd), app_reads_(app_reads), owner_(owner), local_(local), rx_(rx), counters_(counters) {
  if (app_reads_ != nullptr) return;  // never handed to Asio: it would read and close it
  boost::system::error_code ec;
  sock_.assign(protocol_of(local.family), fd, ec);
  if (ec) closed_ = true;
}

mapped_socket::~mapped_socket() {
  boost::system::error_code ec;
  if (app_reads_ == nullptr) sock_.close(ec);
}

void mapped_socket::start() { arm_receive(); }

void mapped_socket::arm_receive() {
  if (closed_ || app_reads_ != nullptr) return;
  sock_.async_wait(asio::ip::udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_) return;
    self->on_readable();
  });
}

void mapped_socket::on_readable() {
  // Asio's epoll reactor is edge-triggered: drain everything before re-arming.
  for (int n = 0; n < 100000 && !closed_; ++n) {
    const auto r = receive_udp(sock_.native_handle(), rx_);
    if (r.kind == received::would_block) break;
    if (r.kind == received::datagram) {
      const auto data = rx_.first(r.size);
      if (!dispatch(data, r.peer) && on_datagram_) on_datagram_(r.peer, data);
    } else if (r.kind == received::unreachable) {
      // RFC 8489 §6.2.1: a transaction over UDP "is also considered failed
      // if there has been a hard ICMP error"; only transactions towards the
      // address that bounced are affected (a punched remote may bounce too).
      const auto copy = pending_;
      for (const auto& p : copy) {
        if (r.peer.port == 0 || p->tx.expected().source == r.peer) advance(p, p->tx.on_unreachable());
      }
    } else {
      break;
    }
  }
  arm_receive();
}

bool mapped_socket::dispatch(std::span<const std::byte> data, const ip_endpoint& from) {
  if (pending_.empty()) return false;
  const auto copy = pending_;
  for (const auto& p : copy) {
    const auto rejected_before = p->tx.rejected();
    const auto s = p->tx.on_datagram(data, from);
    if (s == transaction::step::done) {
      counters_.responses_ok.fetch_add(1, std::memory_order_relaxed);
      finish(p);
      return true;
    }
    if (p->tx.rejected() != rejected_before) {
      // Our transaction ID but failed validation: never a mapping, never
      // passed to the application either.
      counters_.responses_rejected.fetch_add(1, std::memory_order_relaxed);
      ++rejected_;
      return true;
    }
  }
  return false;
}

bool mapped_socket::deliver(std::span<const std::byte> data, const ip_endpoint& from) {
  if (closed_) return false;
  return dispatch(data, from);
}

void mapped_socket::binding(const binding_params& params, completion done) {
  std::optional<long_term> known;
  if (params.auth && params.challenges) {
    if (const auto it = params.challenges->find(params.server); it != params.challenges->end()) known = it->second;
  }
  start_binding(params, std::move(done), std::move(known), max_challenge_retries);
}

void mapped_socket::start_binding(const binding_params& params, completion done, std::optional<long_term> challenge,
                                  int retries_left) {
  request_spec spec;
  spec.txid = new_transaction_id();
  spec.auth = params.auth ? &*params.auth : nullptr;
  spec.challenge = challenge ? &*challenge : nullptr;
  spec.fingerprint = params.fingerprint;
  expectation e;
  e.txid = spec.txid;
  e.source = params.server;
  e.socket_family = local_.family;
  e.auth = params.auth;
  e.challenge = challenge;
  auto p = std::make_shared<pending_tx>(io_, params.tx, std::move(e));
  p->tx.limit(params.give_up);
  if (params.auth && retries_left > 0) {
    // A challenge is answered with the long-term credential (binding.hpp,
    // is_new_challenge); anything else, including the same 401 again, goes
    // back to the caller.
    done = [self = weak_from_this(), params, done = std::move(done), used = challenge, retries_left](
               std::error_code ec, const binding_result& r) mutable {
      const auto me = self.lock();
      if (me && !me->closed_ && !ec && is_new_challenge(r, used)) {
        if (params.challenges) params.challenges->insert_or_assign(params.server, *r.challenge);
        me->start_binding(params, std::move(done), r.challenge, retries_left - 1);
        return;
      }
      done(ec, r);
    };
  }
  p->done = std::move(done);
  if (closed_) {
    p->tx.cancel(make_error_code(errc::shutting_down));
    finish(p);
    return;
  }
  if (params.server.family != local_.family) {
    p->tx.cancel(make_error_code(errc::family_not_supported));
    finish(p);
    return;
  }
  if (const auto ec = build_binding_request(spec, p->request); ec) {
    p->tx.cancel(make_error_code(errc::invalid_argument));
    finish(p);
    return;
  }
  pending_.push_back(p);
  if (app_reads_ != nullptr) app_reads_->add(spec.txid, local_, owner_);
  advance(p, p->tx.start(clock::now()));
}

void mapped_socket::advance(const std::shared_ptr<pending_tx>& p, transaction::step s) {
  switch (s) {
    case transaction::step::send: {
      counters_.requests_sent.fetch_add(1, std::memory_order_relaxed);
      if (const auto ec = send_udp(fd_, p->request, p->tx.expected().source); ec) {
        const bool unreachable = ec == std::errc::network_unreachable || ec == std::errc::host_unreachable;
        if (unreachable) {
          p->tx.on_unreachable();
        } else {
          p->tx.cancel(make_error_code(errc::socket_error));
        }
        finish(p);
        return;
      }
      arm_timer(p);
      return;
    }
    case transaction::step::wait: arm_timer(p); return;
    case transaction::step::done:
    case transaction::step::failed: finish(p); return;
  }
}

void mapped_socket::arm_timer(const std::shared_ptr<pending_tx>& p) {
  p->timer.expires_at(p->tx.deadline());
  p->timer.async_wait([self = shared_from_this(), p](const boost::system::error_code& ec) {
    if (ec || p->tx.finished()) return;
    self->advance(p, p->tx.on_timer(clock::now()));
  });
}

void mapped_socket::finish(const std::shared_ptr<pending_tx>& p) {
  const auto it = std::find(pending_.begin(), pending_.end(), p);
  if (it != pending_.end()) pending_.erase(it);
  p->timer.cancel();
  if (app_reads_ != nullptr) app_reads_->finish(p->tx.expected().txid);
  if (!p->done) return;
  const std::error_code ec = p->tx.error();
  asio::post(io_, [done = std::move(p->done), ec, result = p->tx.result()] { done(ec, result); });
}

std::error_code mapped_socket::send(std::span<const std::byte> data, const ip_endpoint& to) noexcept {
  if (closed_) return make_error_code(errc::shutting_down);
  if (to.family != local_.family) return make_error_code(errc::family_not_supported);
  return send_udp(fd_, data, to);
}

void mapped_socket::close() {
  if (closed_) return;
  closed_ = true;
  const auto copy = pending_;
  for (const auto& p : copy) {
    p->tx.cancel(make_error_code(errc::shutting_down));
    finish(p);
  }
  if (app_reads_ != nullptr) return;  // the application's descriptor: never closed here
  boost::system::error_code ec;
  sock_.close(ec);
}

}  // namespace pinhole::client
