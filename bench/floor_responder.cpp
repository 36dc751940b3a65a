// pinhole-floor: the cheapest STUN Binding responder the socket API allows,
// to measure what the kernel alone costs per request on a machine. It is the
// reference row of bench/compare.sh: pinholed's CPU per request is judged
// against this floor under the same load, not against a number measured on
// another machine.
//
// It does what pinholed's hot path does minus everything pinholed adds: one
// IPv4 socket, readiness from epoll, then recvmmsg, an answer built in place
// (XOR-MAPPED-ADDRESS only; no ACL, limits, counters, FINGERPRINT, PKTINFO or
// checks beyond the header), and sendmmsg. With --poll-us it reads the
// socket on a fixed timer instead, the calibration for pinholed --coalesce-us.
//
//   pinhole-floor --listen 127.0.0.1:PORT [--poll-us N] [--batch N]
//
// Prints "listening ADDR:PORT" once bound; runs until SIGTERM/SIGINT. Not a
// server for real use: it answers anything that looks like a Binding request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::size_t k_slot = 2048;
constexpr std::size_t k_answer = 32;  // 20-byte header + XOR-MAPPED-ADDRESS (4 + 8)
constexpr std::uint32_t k_cookie = 0x2112A442;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "pinhole-floor: %s\nusage: pinhole-floor --listen IPV4:PORT [--poll-us N] [--batch N]\n",
               what.c_str());
  std::exit(2);
}

bool parse_number(const char* text, unsigned long lo, unsigned long hi, unsigned long& out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return false;
  out = v;
  return true;
}

void put16(unsigned char* p, std::uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 8);
  p[1] = static_cast<unsigned char>(v);
}

// A Binding success for `req` (already checked to be a Binding request) from
// `peer`, into `out` (k_answer bytes).
void build_answer(const unsigned char* req, const sockaddr_in& peer, unsigned char* out) {
  std::memcpy(out, req, 20);  // type and length are overwritten; cookie and transaction ID kept
  put16(out, 0x0101);         // Binding success response
  put16(out + 2, 12);
  put16(out + 20, 0x0020);  // XOR-MAPPED-ADDRESS
  put16(out + 22, 8);
  out[24] = 0;
  out[25] = 0x01;  // IPv4
  put16(out + 26, ntohs(peer.sin_port) ^ (k_cookie >> 16));
  const std::uint32_t ip = ntohl(peer.sin_addr.s_addr) ^ k_cookie;
  put16(out + 28, ip >> 16);
  put16(out + 30, ip & 0xffff);
}

bool is_binding_request(const unsigned char* p, std::size_t len) {
  if (len < 20) return false;
  const std::uint32_t cookie =
      (std::uint32_t{p[4]} << 24) | (std::uint32_t{p[5]} << 16) | (std::uint32_t{p[6]} << 8) | std::uint32_t{p[7]};
  return p[0] == 0x00 && p[1] == 0x01 && cookie == k_cookie;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  unsigned long poll_us = 0, batch = 32;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage_error("missing value for " + a);
    const char* v = argv[++i];
    if (a == "--listen") {
      listen = v;
    } else if (a == "--poll-us") {
      if (!parse_number(v, 0, 1000000, poll_us)) usage_error("--poll-us: expected integer 0-1000000");
    } else if (a == "--batch") {
      if (!parse_number(v, 1, 1024, batch)) usage_error("--batch: expected integer 1-1024");
    } else {
      usage_error("unknown argument " + a);
    }
  }
  const auto colon = listen.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  unsigned long port = 0;
  if (colon == std::string::npos || inet_pton(AF_INET, listen.substr(0, colon).c_str(), &addr.sin_addr) != 1 ||
      !parse_number(listen.c_str() + colon + 1, 0, 65535, port)) {
    usage_error("--listen: expected IPV4:PORT");
  }
  addr.sin_port = htons(static_cast<std::uint16_t>(port));

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int buffer = 4 << 20;  // the same request as pinholed's sockets (capped by net.core.*mem_max)
  if (fd >= 0) {
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  }
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "pinhole-floor: bind %s: %s\n", listen.c_str(), std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
  std::printf("listening %s:%u\n", ip, static_cast<unsigned>(ntohs(addr.sin_port)));
  std::fflush(stdout);

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a blocked epoll_wait returns EINTR
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    std::fprintf(stderr, "pinhole-floor: epoll: %s\n", std::strerror(errno));
    return 1;
  }

  const std::size_t n_max = batch;
  std::vector<unsigned char> rx(n_max * k_slot), tx(n_max * k_answer);
  std::vector<mmsghdr> in(n_max), out(n_max);
  std::vector<iovec> in_iov(n_max), out_iov(n_max);
  std::vector<sockaddr_in> peers(n_max);
  timespec due{};
  ::clock_gettime(CLOCK_MONOTONIC, &due);

  while (g_stop == 0) {
    if (poll_us == 0) {
      epoll_event e{};
      if (::epoll_wait(ep, &e, 1, -1) <= 0) continue;  // EINTR: check g_stop
    } else {
      due.tv_nsec += static_cast<long>(poll_us % 1000000) * 1000;
      due.tv_sec += static_cast<time_t>(poll_us / 1000000) + due.tv_nsec / 1000000000;
      due.tv_nsec %= 1000000000;
      if (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr) != 0) continue;
    }
    for (;;) {
      for (std::size_t i = 0; i < n_max; ++i) {
        in_iov[i] = iovec{rx.data() + i * k_slot, k_slot};
        in[i].msg_hdr = msghdr{};
        in[i].msg_hdr.msg_name = &peers[i];
        in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        in[i].msg_hdr.msg_iov = &in_iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, in.data(), static_cast<unsigned>(n_max), MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      unsigned answers = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
        if (!is_binding_request(rx.data() + i * k_slot, in[i].msg_len)) continue;
        unsigned char* a = tx.data() + answers * k_answer;
        build_answer(rx.data() + i * k_slot, peers[i], a);
        out_iov[answers] = iovec{a, k_answer};
        out[answers].msg_hdr = msghdr{};
        out[answers].msg_hdr.msg_name = &peers[i];
        out[answers].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        out[answers].msg_hdr.msg_iov = &out_iov[answers];
        out[answers].msg_hdr.msg_iovlen = 1;
        ++answers;
      }
      if (answers > 0) (void)::sendmmsg(fd, out.data(), answers, MSG_DONTWAIT);
      if (static_cast<std::size_t>(n) < n_max) break;
    }
  }
  ::close(ep);
  ::close(fd);
  return 0;
}
