// One request/answer exchange with a PCP or NAT-PMP server, on the port
// manager's io thread: a UDP socket connected to gateway:5351 (so the
// kernel drops datagrams from any other host: RFC 6886 §3.1 and RFC 6887
// §8.3 want answers from another source discarded), the request sent with
// the RFC 6886 §3.1 schedule (250 ms, then doubling) until an answer is
// accepted or the deadline passes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "pinhole/types.hpp"

namespace pinhole::client {

namespace asio = boost::asio;

class portmap_exchange : public std::enable_shared_from_this<portmap_exchange> {
 public:
  using clock = std::chrono::steady_clock;
  // True: `data` is the answer (the exchange ends with success).
  using accept_fn = std::function<bool(std::span<const std::byte> data)>;
  using done_fn = std::function<void(std::error_code)>;  // empty, timeout or socket_error

  // Opens and connects the socket; ec on failure.
  portmap_exchange(asio::io_context& io, const ip_endpoint& gateway, std::error_code& ec);
  ~portmap_exchange();
  portmap_exchange(const portmap_exchange&) = delete;
  portmap_exchange& operator=(const portmap_exchange&) = delete;

  // The address the gateway sees the request from (PCP Client's IP Address).
  const ip_endpoint& local() const noexcept { return local_; }
  const ip_endpoint& gateway() const noexcept { return gateway_; }
  void run(std::vector<std::byte> request, clock::time_point deadline, std::chrono::milliseconds first_rto,
           accept_fn accept, done_fn done);
  // Sends the request once, without waiting (best effort: deletions at shutdown).
  void send_once(std::span<const std::byte> request) noexcept;
  void cancel();
  // Datagrams read that the accept function refused (malformed, mismatched).
  unsigned rejected() const noexcept { return rejected_; }

 private:
  void transmit();
  void arm_read();
  void finish(std::error_code ec);

  asio::ip::udp::socket sock_;
  asio::steady_timer timer_;
  int fd_ = -1;
  ip_endpoint gateway_;
  ip_endpoint local_;
  std::vector<std::byte> request_;
  std::array<std::byte, 1104> rx_{};
  clock::time_point deadline_{};
  std::chrono::milliseconds rto_{250};
  accept_fn accept_;
  done_fn done_;
  bool finished_ = true;
  bool sent_ = false;
  unsigned rejected_ = 0;
};

}  // namespace pinhole::client
