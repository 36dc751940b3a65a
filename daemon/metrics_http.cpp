#include "metrics_http.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <vector>

#include "config.hpp"

namespace pinhole::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string_view http_status_text(int status) noexcept {
  switch (status) {
    case 200: return "200 OK";
    case 400: return "400 Bad Request";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 408: return "408 Request Timeout";
    case 431: return "431 Request Header Fields Too Large";
    case 503: return "503 Service Unavailable";
    default: return "500 Internal Server Error";
  }
}

class metrics_http::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket sock, const http_handler& handler, const http_limits& limits,
             std::shared_ptr<std::size_t> open)
      : sock_(std::move(sock)), timer_(sock_.get_executor()), handler_(handler), buf_(limits.max_request),
        timeout_(limits.timeout), open_(std::move(open)) {
    ++*open_;
  }
  ~connection() { --*open_; }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start() {
    auto self = shared_from_this();
    timer_.expires_after(timeout_);
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the request was answered
      boost::system::error_code ignored;
      self->sock_.close(ignored);  // too slow (or a slowloris): drop it
    });
    read();
  }

 private:
  void read() {
    auto self = shared_from_this();
    sock_.async_read_some(asio::buffer(buf_.data() + used_, buf_.size() - used_),
                          [self](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (ec) {
      timer_.cancel();
      return;
    }
    used_ += n;
    const std::string_view have(buf_.data(), used_);
    const auto end = have.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (used_ == buf_.size()) return respond(http_response{431, "text/plain; charset=utf-8", "request too large\n"}, false);
      return read();
    }
    // Request line: METHOD SP PATH SP HTTP/1.x
    const std::string_view line = have.substr(0, have.find("\r\n"));
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
      return respond(http_response{400, "text/plain; charset=utf-8", "bad request\n"}, false);
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    path = path.substr(0, path.find('?'));
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
      return respond(http_response{405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
    }
    http_response r;
    try {
      r = handler_(path);
    } catch (const std::exception&) {
      r = http_response{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    respond(std::move(r), head);
  }

  void respond(http_response r, bool head) {
    out_ = "HTTP/1.1 " + std::string(http_status_text(r.status)) + "\r\nContent-Type: " + r.content_type +
           "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    if (r.status == 405) out_ += "Allow: GET, HEAD\r\n";
    out_ += "\r\n";
    if (!head) out_ += r.body;
    auto self = shared_from_this();
    asio::async_write(sock_, asio::buffer(out_), [self](const boost::system::error_code&, std::size_t) {
      self->timer_.cancel();
      boost::system::error_code ignored;
      self->sock_.shutdown(tcp::socket::shutdown_both, ignored);
      self->sock_.close(ignored);
    });
  }

  tcp::socket sock_;
  asio::steady_timer timer_;
  const http_handler& handler_;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::chrono::milliseconds timeout_;
  std::string out_;
  std::shared_ptr<std::size_t> open_;
};

metrics_http::metrics_http(asio::io_context& io, http_handler handler, http_limits limits)
    : io_(io), handler_(std::move(handler)), limits_(limits), acceptor_(io) {}

metrics_http::~metrics_http() { close(); }

std::error_code metrics_http::listen(const std::string& address) {
  listen_spec spec;
  if (!parse_listen(address, spec)) return std::make_error_code(std::errc::invalid_argument);
  tcp::endpoint ep;
  if (spec.family == AF_INET) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(spec.ip.begin(), 4, b.begin());
    ep = tcp::endpoint(asio::ip::address_v4(b), spec.port);
  } else {
    asio::ip::address_v6::bytes_type b{};
    std::copy_n(spec.ip.begin(), 16, b.begin());
    ep = tcp::endpoint(asio::ip::address_v6(b), spec.port);
  }
  boost::system::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && spec.family == AF_INET6) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return {ec.value(), std::system_category()};
  }
  accept();
  return {};
}

std::uint16_t metrics_http::port() const noexcept {
  boost::system::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void metrics_http::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void metrics_http::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (*open_ >= limits_.max_connections) {
        boost::system::error_code ignored;
        sock.close(ignored);  // over the limit: no state kept for it
      } else {
        std::make_shared<connection>(std::move(sock), handler_, limits_, open_)->start();
      }
    }
    accept();
  });
}

}  // namespace pinhole::daemon
