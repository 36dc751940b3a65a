#include "worker.hpp"

#include "log.hpp"

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

}  // namespace

worker::worker(std::size_t id, const std::vector<int>& fds, const std::vector<listener>& listeners,
               counter_table& counters, const state_ref& state, std::size_t batch)
    : id_(id), counters_(counters), state_(state) {
  sockets_.reserve(fds.size());
  batches_.reserve(fds.size());
  for (std::size_t i = 0; i < fds.size(); ++i) {
    const auto proto = listeners[i].bound.fam == stun::family::ipv4 ? boost::asio::ip::udp::v4()
                                                                     : boost::asio::ip::udp::v6();
    sockets_.emplace_back(io_, proto, fds[i]);
    batches_.emplace_back(batch, max_datagram);
    roles_.push_back(listeners[i].role);
    if (listeners[i].role != socket_role::single) role_fd_[static_cast<std::size_t>(listeners[i].role)] = fds[i];
  }
}

worker::~worker() { stop(); }

void worker::start() {
  for (std::size_t i = 0; i < sockets_.size(); ++i) arm(i);
  thread_ = std::thread([this] { io_.run(); });
}

void worker::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void worker::arm(std::size_t i) {
  sockets_[i].async_wait(boost::asio::socket_base::wait_read, [this, i](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: shutting down
    drain(i);
    arm(i);
  });
}

void worker::drain(std::size_t i) noexcept {
  const int fd = sockets_[i].native_handle();
  packet_batch& b = batches_[i];
  counter_block& c = counters_.at(id_, i);
  const socket_role role = roles_[i];
  const auto state = state_.load();  // one atomic load per wakeup, not per packet
  const handler_config& hcfg = state->handler;

  for (int round = 0; round < rounds_per_wakeup; ++round) {
    const int n = b.receive(fd);
    if (n <= 0) {
      if (n < 0) log(log_level::debug, "recv_error", {{"errno", std::to_string(-n)}});
      return;
    }
    for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
      const auto& d = b.at(k);
      c.add(counter::received);
      c.add(counter::bytes_in, d.payload.size());
      if (d.truncated) {
        c.add(counter::dropped_malformed);
        continue;
      }
      const auto out = b.tx_buffer();
      const handler_result r = handle_request(d.payload, d.peer, role, hcfg, out);
      if (!r.answered()) {
        c.add(drop_counter(r.what));
        continue;
      }
      c.add(r.what == verdict::success ? counter::answered : error_counter(r.error_code));
      c.add(counter::bytes_out, r.size);
      if (r.send_from == role || role == socket_role::single) {
        b.queue(r.size, r.destination, d);
      } else {
        // RFC 5780 §6.1: the response to a CHANGE-REQUEST leaves from the
        // socket of the requested role (alternate IP and/or port).
        const int other = role_fd_[static_cast<std::size_t>(r.send_from)];
        if (other < 0 || !packet_batch::send_one(other, out.first(r.size), r.destination)) c.add(counter::send_failed);
      }
    }
    const std::size_t queued = b.queued();
    const std::size_t sent = b.flush(fd);
    if (sent < queued) c.add(counter::send_failed, queued - sent);
    if (static_cast<std::size_t>(n) < b.capacity()) return;  // drained
  }
}

}  // namespace pinhole::daemon
