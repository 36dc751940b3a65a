#include "metrics_http.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

#include "config.hpp"
#include "log.hpp"
#include "stun/address.hpp"

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
             std::shared_ptr<shared_state> shared)
      : sock_(std::move(sock)),
        timer_(sock_.get_executor()),
        handler_(handler),
        buf_(limits.max_request),
        limits_(limits),
        shared_(std::move(shared)) {
    shared_->live.push_back(this);
    where_ = std::prev(shared_->live.end());
  }
  ~connection() { unlist(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start() {
    started_ = std::chrono::steady_clock::now();
    // A client that has not sent a byte by now is not a scraper (they send
    // the request with the connection): it gets a shorter deadline.
    arm(started_ + std::min(limits_.first_byte, limits_.timeout));
    read();
  }

  bool responding() const noexcept { return responding_; }
  // Request bytes that reached the kernel but not this object yet: a
  // scraper whose request is queued behind a burst of connections.
  bool has_unread_bytes() noexcept {
    boost::system::error_code ec;
    return sock_.available(ec) > 0 && !ec;
  }

  // Closed to make room for a newer connection: the slot is free at once,
  // the pending read completes (aborted) and releases this object.
  void evict() {
    unlist();
    close_socket();
  }

 private:
  void unlist() {
    if (!listed_) return;
    shared_->live.erase(where_);
    listed_ = false;
  }

  void close_socket() {
    timer_.cancel();
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

  // One deadline at a time; moving it leaves the old wait's handler to find
  // that its deadline is not the current one.
  void arm(std::chrono::steady_clock::time_point at) {
    deadline_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || std::chrono::steady_clock::now() < self->deadline_) return;  // answered, or deadline moved
      ++self->shared_->stats.timed_out;
      self->unlist();
      self->close_socket();  // too slow (or a slowloris): drop it
    });
  }

  void read() {
    auto self = shared_from_this();
    sock_.async_read_some(asio::buffer(buf_.data() + used_, buf_.size() - used_),
                          [self](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (ec) {
      unlist();
      timer_.cancel();
      return;
    }
    if (used_ == 0 && n > 0 && limits_.first_byte < limits_.timeout) arm(started_ + limits_.timeout);
    used_ += n;
    const std::string_view have(buf_.data(), used_);
    const auto end = have.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (used_ == buf_.size())
        return respond(http_response{431, "text/plain; charset=utf-8", "request too large\n"}, false);
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
    respond(r, head);
  }

  void respond(const http_response& r, bool head) {
    responding_ = true;
    out_ = "HTTP/1.1 " + std::string(http_status_text(r.status)) + "\r\nContent-Type: " + r.content_type +
           "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    if (r.status == 405) out_ += "Allow: GET, HEAD\r\n";
    out_ += "\r\n";
    if (!head) out_ += r.body;
    auto self = shared_from_this();
    asio::async_write(sock_, asio::buffer(out_), [self](const boost::system::error_code&, std::size_t) {
      self->unlist();
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
  const http_limits& limits_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  bool responding_ = false;
  std::string out_;
  std::shared_ptr<shared_state> shared_;
  std::list<connection*>::iterator where_;
  bool listed_ = true;
};

metrics_http::metrics_http(asio::io_context& io, http_handler handler, http_limits limits)
    : handler_(std::move(handler)), limits_(limits), acceptor_(io), pause_(io) {}

metrics_http::~metrics_http() {
  try {
    close();
  } catch (...) {
    // asio's cancel() and close() throw only if the reactor fails; a destructor must not throw.
  }
}

std::error_code metrics_http::listen(const std::string& address) {
  const auto spec = stun::transport_address::parse(address);
  if (!spec) return std::make_error_code(std::errc::invalid_argument);
  return listen(*spec);
}

std::error_code metrics_http::listen(const stun::transport_address& spec) {
  tcp::endpoint ep;
  if (spec.fam == stun::family::ipv4) {
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
  if (!ec && spec.fam == stun::family::ipv6) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(128, ec);  // room for a scraper behind a burst of connects
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return {ec.value(), std::system_category()};
  }
  accept();
  return {};
}

std::uint16_t metrics_http::port() const {
  boost::system::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void metrics_http::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  pause_.cancel();
}

// The slot for a new connection: the oldest one still sending its request
// with nothing unread in the kernel (a scraper sends its request at once, so
// that is an idle or slow client), else the oldest still sending, else the
// oldest of all. The unread-bytes check keeps a scraper that was accepted
// just before a burst of connections from being evicted before its request
// was read.
void metrics_http::make_room() {
  auto& live = shared_->live;
  if (live.size() < limits_.max_connections || live.empty()) return;
  connection* victim = nullptr;
  connection* oldest_sending = nullptr;
  for (connection* c : live) {
    if (c->responding()) continue;
    if (oldest_sending == nullptr) oldest_sending = c;
    if (!c->has_unread_bytes()) {
      victim = c;
      break;
    }
  }
  if (victim == nullptr) victim = oldest_sending != nullptr ? oldest_sending : live.front();
  ++shared_->stats.evicted;
  victim->evict();
}

void metrics_http::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec && ec != asio::error::connection_aborted) {
      // EMFILE/ENFILE/ENOBUFS/ENOMEM: the connection stays in the backlog
      // and the listener stays readable, so accepting again at once would
      // spin. Wait for descriptors to come free instead.
      ++shared_->stats.accept_paused;
      if (!pause_logged_) {
        log(log_level::warning, "metrics_accept_paused",
            {{"error", ec.message()}, {"pause_ms", std::to_string(limits_.accept_pause.count())}});
        pause_logged_ = true;
      }
      pause_.expires_after(limits_.accept_pause);
      pause_.async_wait([this](const boost::system::error_code& wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    if (!ec) {
      if (pause_logged_) {
        log(log_level::info, "metrics_accept_resumed");
        pause_logged_ = false;
      }
      ++shared_->stats.accepted;
      make_room();
      std::make_shared<connection>(std::move(sock), handler_, limits_, shared_)->start();
    }
    accept();
  });
}

}  // namespace pinhole::daemon
