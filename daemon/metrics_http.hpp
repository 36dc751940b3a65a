// A deliberately tiny HTTP/1.1 server for the metrics endpoint: GET and HEAD
// only, one request per connection (Connection: close), strict limits on
// request size, time and concurrent connections, so a scraper cannot tie up
// or grow the daemon. Runs on the caller's io_context (pinholed's control
// thread), never on a packet worker.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
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
  std::size_t max_request = 4096;                    // request line + headers; larger gets 431
  std::chrono::milliseconds timeout{5000};           // whole request must arrive within this
  std::size_t max_connections = 16;                  // more are accepted and closed at once
};

class metrics_http {
 public:
  metrics_http(boost::asio::io_context& io, http_handler handler, http_limits limits = {});
  ~metrics_http();
  metrics_http(const metrics_http&) = delete;
  metrics_http& operator=(const metrics_http&) = delete;

  // Listens on "IP:PORT" ("[v6]:port"); port 0 picks a free one.
  std::error_code listen(const std::string& address);
  std::uint16_t port() const noexcept;
  void close();

  std::size_t open_connections() const noexcept { return *open_; }

 private:
  class connection;
  void accept();

  boost::asio::io_context& io_;
  http_handler handler_;
  http_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
};

// "200 OK", "404 Not Found", ... (the status line text after "HTTP/1.1 ").
std::string_view http_status_text(int status) noexcept;

}  // namespace pinhole::daemon
