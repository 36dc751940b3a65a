// A deliberately tiny HTTP/1.1 server for the metrics endpoint: GET and HEAD
// only, one request per connection (Connection: close), strict limits on
// request size, time and concurrent connections, so a scraper cannot tie up
// or grow the daemon. Idle and slow connections cannot lock a scraper (or a
// liveness probe) out: one that sends nothing is closed after `first_byte`,
// and when every slot is taken the oldest connection still sending its
// request is closed to make room for the new one. Runs on the caller's
// io_context (pinholed's control thread), never on a packet worker.
#pragma once

#include "stun/address.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace pinhole::daemon {

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called with the request path (query string removed) for every valid GET/HEAD.
using http_handler = std::function<http_response(std::string_view path)>;

struct http_limits {
  std::size_t max_request = 4096;               // request line + headers; larger gets 431
  std::chrono::milliseconds timeout{3000};      // whole request must arrive (and the answer leave) within this
  std::size_t max_connections = 128;            // when full, the oldest still reading is closed for a new one
  std::chrono::milliseconds first_byte{1000};   // a connection that sends nothing this long is closed
  std::chrono::milliseconds accept_pause{100};  // accept() failed (EMFILE, ENFILE, ...): retry after this
};

// Counts since start (control thread only).
struct http_stats {
  std::uint64_t accepted = 0;
  std::uint64_t evicted = 0;        // closed to make room for a newer connection
  std::uint64_t timed_out = 0;      // no complete request (or answer sent) within the limits
  std::uint64_t accept_paused = 0;  // accept() failed (out of descriptors): accepting paused for accept_pause
};

class metrics_http {
 public:
  metrics_http(boost::asio::io_context& io, http_handler handler, http_limits limits = {});
  ~metrics_http();
  metrics_http(const metrics_http&) = delete;
  metrics_http& operator=(const metrics_http&) = delete;

  // Listens on "IP:PORT" ("[v6]:port"); port 0 picks a free one.
  std::error_code listen(const std::string& address);
  std::error_code listen(const stun::transport_address& address);  // already parsed (the config's metrics_listen)
  std::uint16_t port() const;
  void close();

  std::size_t open_connections() const noexcept { return shared_->live.size(); }
  const http_stats& stats() const noexcept { return shared_->stats; }

 private:
  class connection;
  // Outlives the server while connections do: they unlist themselves here.
  struct shared_state {
    std::list<connection*> live;  // oldest first
    http_stats stats;
  };
  void accept();
  void make_room();

  http_handler handler_;
  http_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;
  bool pause_logged_ = false;  // one log line per run of failed accepts
  std::shared_ptr<shared_state> shared_ = std::make_shared<shared_state>();
};

// "200 OK", "404 Not Found", ... (the status line text after "HTTP/1.1 ").
std::string_view http_status_text(int status) noexcept;

}  // namespace pinhole::daemon
