#include "portmap_exchange.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "address_conv.hpp"
#include "pinhole/errors.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

portmap_exchange::portmap_exchange(asio::io_context& io, const ip_endpoint& gateway, std::error_code& ec)
    : sock_(io), timer_(io), gateway_(gateway) {
  fd_ = open_udp(gateway.family, ec);
  if (fd_ < 0) return;
  sockaddr_storage ss{};
  const auto len = to_sockaddr(gateway, ss);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    ec = make_error_code(errc::socket_error);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  const auto local = local_endpoint(fd_);
  if (local) local_ = *local;
  boost::system::error_code bec;
  sock_.assign(gateway.family == ip_family::v4 ? asio::ip::udp::v4() : asio::ip::udp::v6(), fd_, bec);
  if (bec) {
    ::close(fd_);
    fd_ = -1;
    ec = make_error_code(errc::socket_error);
  }
}

portmap_exchange::~portmap_exchange() {
  boost::system::error_code ignored;
  sock_.close(ignored);
}

void portmap_exchange::run(std::vector<std::byte> request, clock::time_point deadline,
                           std::chrono::milliseconds first_rto, accept_fn accept, done_fn done) {
  request_ = std::move(request);
  deadline_ = deadline;
  rto_ = first_rto;
  accept_ = std::move(accept);
  done_ = std::move(done);
  finished_ = false;
  arm_read();
  transmit();
}

void portmap_exchange::send_once(std::span<const std::byte> request) noexcept {
  if (fd_ >= 0) (void)::send(fd_, request.data(), request.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void portmap_exchange::transmit() {
  if (finished_) return;
  const auto now = clock::now();
  if (now >= deadline_ && sent_) return finish(make_error_code(errc::timeout));
  send_once(request_);
  sent_ = true;
  if (now >= deadline_) return finish(make_error_code(errc::timeout));  // sent once, nobody waits
  // RFC 6886 §3.1: "If no NAT-PMP response is received from the gateway
  // after 250 ms, the client retransmits its request and waits 500 ms. The
  // client SHOULD repeat this process with the interval between attempts
  // doubling each time." (PCP, RFC 6887 §8.1.1, also doubles.)
  const auto wait = std::min<clock::duration>(rto_, deadline_ - now);
  rto_ *= 2;
  timer_.expires_after(wait);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->transmit();
  });
}

void portmap_exchange::arm_read() {
  sock_.async_wait(asio::ip::udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->finished_) return;
    for (;;) {
      const auto r = receive_udp(self->fd_, self->rx_);
      if (r.kind == received::would_block) break;
      if (r.kind == received::unreachable) {
        // ICMP port unreachable: nobody serves the protocol there.
        return self->finish(make_error_code(errc::server_unreachable));
      }
      if (r.kind == received::error) return self->finish(make_error_code(errc::socket_error));
      if (!(r.peer == self->gateway_)) continue;  // connected: cannot happen, but never trust it
      if (self->accept_(std::span<const std::byte>(self->rx_.data(), r.size))) return self->finish({});
      ++self->rejected_;
      if (self->finished_) return;
    }
    self->arm_read();
  });
}

void portmap_exchange::finish(std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  boost::system::error_code ignored;
  sock_.cancel(ignored);
  auto done = std::move(done_);
  accept_ = nullptr;
  if (done) done(ec);
}

void portmap_exchange::cancel() { finish(make_error_code(errc::shutting_down)); }

}  // namespace pinhole::client
