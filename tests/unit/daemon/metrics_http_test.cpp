// The tiny HTTP server: GET/HEAD only, limits on size, time and connections.
#include "metrics_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include <future>
#include <thread>

using namespace pinhole::daemon;
using namespace std::chrono_literals;

namespace {

class running_http {
 public:
  explicit running_http(http_limits limits = {}) {
    server_ = std::make_unique<metrics_http>(
        io_,
        [](std::string_view path) {
          if (path == "/metrics") return http_response{200, "text/plain; version=0.0.4", "up 1\n"};
          return http_response{404, "text/plain", "no\n"};
        },
        limits);
    EXPECT_FALSE(server_->listen("127.0.0.1:0"));
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~running_http() {
    io_.stop();
    thread_.join();
  }
  running_http(const running_http&) = delete;
  running_http& operator=(const running_http&) = delete;
  std::uint16_t port() const { return port_; }
  // Read on the server's own thread.
  http_stats stats() {
    std::promise<http_stats> p;
    boost::asio::post(io_, [&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<metrics_http> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  return fd;
}

// Reads until the server closes (or 3 s pass).
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// True if the server closes the connection within 3 s (EOF or reset).
bool closed_by_server(int fd) {
  char buf[256];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return false;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

std::string exchange(std::uint16_t port, const std::string& request) {
  const int fd = connect_to(port);
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string r = read_all(fd);
  ::close(fd);
  return r;
}

}  // namespace

TEST(MetricsHttp, GetServesTheHandlersBody) {
  running_http h;
  const auto r = exchange(h.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 5), "up 1\n");
}

TEST(MetricsHttp, QueryStringIgnoredUnknownPath404) {
  running_http h;
  EXPECT_EQ(exchange(h.port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 200", 0), 0U);
  EXPECT_EQ(exchange(h.port(), "GET /other HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0U);
}

TEST(MetricsHttp, HeadHasNoBody) {
  running_http h;
  const auto r = exchange(h.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n");
}

TEST(MetricsHttp, OtherMethodsAndGarbageAreRefused) {
  running_http h;
  const auto post = exchange(h.port(), "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0U) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(exchange(h.port(), "hello\r\n\r\n").rfind("HTTP/1.1 400", 0), 0U);
  EXPECT_EQ(exchange(h.port(), "GET /metrics SPDY/3\r\n\r\n").rfind("HTTP/1.1 400", 0), 0U);
}

TEST(MetricsHttp, OversizedRequestGets431) {
  running_http h(http_limits{512, 5000ms, 16});
  const std::string big = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(2000, 'a') + "\r\n\r\n";
  EXPECT_EQ(exchange(h.port(), big).rfind("HTTP/1.1 431", 0), 0U);
}

TEST(MetricsHttp, SlowClientIsDisconnected) {
  running_http h(http_limits{4096, 200ms, 16});
  const int fd = connect_to(h.port());
  (void)::send(fd, "GET /met", 8, MSG_NOSIGNAL);  // and then nothing
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(read_all(fd), "");  // closed without an answer
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ::close(fd);
}

// Issue #11: 16 silent connections used to hold every slot for the full
// timeout, so /healthz (a liveness probe) got its connection closed at once.
TEST(MetricsHttp, SilentConnectionsMakeRoomForARequest) {
  running_http h(http_limits{4096, 5000ms, 2, 5000ms});
  const int a = connect_to(h.port());
  const int b = connect_to(h.port());
  std::this_thread::sleep_for(100ms);  // both accepted, both silent
  EXPECT_EQ(exchange(h.port(), "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0U);
  EXPECT_TRUE(closed_by_server(a));  // the oldest silent one made room
  const auto st = h.stats();
  EXPECT_EQ(st.accepted, 3U);
  EXPECT_EQ(st.evicted, 1U);
  // Full again (b, c); a slow sender loses its slot to a real request too.
  const int c = connect_to(h.port());
  (void)::send(b, "GET /me", 7, MSG_NOSIGNAL);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(h.stats().evicted, 1U);
  EXPECT_EQ(exchange(h.port(), "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0U);
  EXPECT_TRUE(closed_by_server(b));
  EXPECT_EQ(h.stats().evicted, 2U);
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST(MetricsHttp, SilentConnectionClosedAtTheFirstByteDeadline) {
  running_http h(http_limits{4096, 60000ms, 16, 200ms});
  const int fd = connect_to(h.port());
  EXPECT_TRUE(closed_by_server(fd));  // long before the 60 s request timeout
  ::close(fd);
  EXPECT_EQ(h.stats().timed_out, 1U);
}

TEST(MetricsHttp, AFirstByteBuysTheWholeRequestTimeout) {
  running_http h(http_limits{4096, 5000ms, 16, 200ms});
  const int fd = connect_to(h.port());
  (void)::send(fd, "GET /met", 8, MSG_NOSIGNAL);
  std::this_thread::sleep_for(500ms);  // past the first-byte deadline
  const std::string rest = "rics HTTP/1.1\r\n\r\n";
  (void)::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
  EXPECT_EQ(read_all(fd).rfind("HTTP/1.1 200", 0), 0U);
  ::close(fd);
  EXPECT_EQ(h.stats().timed_out, 0U);
}

TEST(MetricsHttp, BadListenAddress) {
  boost::asio::io_context io;
  metrics_http m(io, [](std::string_view) { return http_response{}; });
  EXPECT_TRUE(m.listen("localhost:80"));
  EXPECT_TRUE(m.listen("192.0.2.1:9641"));  // not a local address
  EXPECT_EQ(http_status_text(503), "503 Service Unavailable");
}
