// xdp-diff: the differential client of tests/netns/xdp.sh. Sends datagrams
// (corpus files, and generated bare Binding requests with and without
// FINGERPRINT) to a pinholed from one bound UDP socket and checks that each
// answer is byte for byte what handle_request() produces for that request
// and source, and that nothing comes back where handle_request() drops.
// Whether the XDP fast path or the socket path answered is the caller's to
// read from /metrics; both must give the same bytes.
//
//   xdp-diff diff  BIND_IP SERVER_IP PORT SOFTWARE [--bare N] [FILE...]
//   xdp-diff count BIND_IP SERVER_IP PORT N      (N bare requests at once; prints the answers)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "handler.hpp"
#include "stun/address.hpp"
#include "stun/crc32.hpp"

namespace {

using bytes = std::vector<std::byte>;
using pinhole::stun::transport_address;

struct endpoint {
  sockaddr_storage ss{};
  socklen_t len = 0;
  transport_address addr;
};

bool make_endpoint(const char* ip, std::uint16_t port, endpoint& e) {
  auto a = transport_address::parse_ip(ip, port);
  if (!a) return false;
  e.addr = *a;
  if (a->fam == pinhole::stun::family::ipv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&e.ss);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    std::memcpy(&s->sin_addr, a->ip.data(), 4);
    e.len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&e.ss);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    std::memcpy(&s->sin6_addr, a->ip.data(), 16);
    e.len = sizeof(sockaddr_in6);
  }
  return true;
}

// A bare Binding request (RFC 8489 §6): header only, or FINGERPRINT only.
bytes bare_request(std::mt19937& rng, bool fingerprint) {
  bytes m(fingerprint ? 28 : 20, std::byte{0});
  m[1] = std::byte{1};
  m[3] = std::byte{static_cast<unsigned char>(fingerprint ? 8 : 0)};
  const unsigned char cookie[4] = {0x21, 0x12, 0xa4, 0x42};
  for (int i = 0; i < 4; ++i) m[4 + static_cast<std::size_t>(i)] = std::byte{cookie[i]};
  for (std::size_t i = 8; i < 20; ++i) m[i] = std::byte{static_cast<unsigned char>(rng())};
  if (fingerprint) {
    m[20] = std::byte{0x80};
    m[21] = std::byte{0x28};
    m[23] = std::byte{4};
    const std::uint32_t crc = pinhole::stun::crc32(std::span<const std::byte>(m.data(), 20)) ^ 0x5354554eU;
    for (int i = 0; i < 4; ++i)
      m[24 + static_cast<std::size_t>(i)] = std::byte{static_cast<unsigned char>(crc >> (24 - 8 * i))};
  }
  return m;
}

// Waits up to `ms` for one datagram; empty when none came.
bytes receive(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return {};
  bytes buf(65536);
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n < 0) return {};
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

int usage() {
  std::fprintf(stderr,
               "usage: xdp-diff diff BIND_IP SERVER_IP PORT SOFTWARE [--bare N] [FILE...]\n"
               "       xdp-diff count BIND_IP SERVER_IP PORT N\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return usage();
  const std::string mode = argv[1];
  endpoint local;
  endpoint server;
  const auto port = static_cast<std::uint16_t>(std::stoul(argv[4]));
  if (!make_endpoint(argv[2], 0, local) || !make_endpoint(argv[3], port, server)) return usage();
  const int fd = ::socket(local.ss.ss_family, SOCK_DGRAM, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&local.ss), local.len) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&server.ss), server.len) != 0) {
    std::perror("xdp-diff: socket");
    return 2;
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  local.addr.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                                     : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  std::mt19937 rng(12345);

  if (mode == "count") {
    const int n = std::stoi(argv[5]);
    for (int i = 0; i < n; ++i) {
      const bytes m = bare_request(rng, (i & 1) != 0);
      (void)::send(fd, m.data(), m.size(), 0);
    }
    int answers = 0;
    while (!receive(fd, 300).empty()) ++answers;
    std::printf("%d\n", answers);
    return 0;
  }
  if (mode != "diff") return usage();

  const std::string software = argv[5];
  std::vector<bytes> inputs;
  for (int i = 6; i < argc; ++i) {
    if (std::string(argv[i]) == "--bare" && i + 1 < argc) {
      const int n = std::stoi(argv[++i]);
      for (int k = 0; k < n; ++k) inputs.push_back(bare_request(rng, (k & 1) != 0));
      continue;
    }
    std::ifstream f(argv[i], std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (raw.size() > 1400) continue;  // one Ethernet frame: fragments are the kernel's business
    bytes b(raw.size());
    std::memcpy(b.data(), raw.data(), raw.size());
    inputs.push_back(std::move(b));
  }

  pinhole::daemon::handler_config cfg;
  cfg.software = software;
  std::vector<std::byte> expect(pinhole::daemon::max_response_size);
  std::size_t answered = 0;
  std::size_t failures = 0;
  std::size_t elsewhere = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& req = inputs[i];
    const auto r = pinhole::daemon::handle_request(req, local.addr, pinhole::daemon::socket_role::single, cfg, expect);
    (void)::send(fd, req.data(), req.size(), 0);
    const bool here = r.answered() && r.destination == local.addr;
    const bytes got = receive(fd, here ? 1000 : 30);
    if (!here) {
      // RESPONSE-PORT answers go to another port of this host, which this
      // socket cannot see; such requests are never the fast path's.
      if (r.answered()) ++elsewhere;
      if (!got.empty()) {
        std::fprintf(stderr, "input %zu (%zu bytes): answered here, but handle_request drops it or answers elsewhere\n",
                     i, req.size());
        ++failures;
      }
      continue;
    }
    ++answered;
    if (got.size() != r.size || std::memcmp(got.data(), expect.data(), r.size) != 0) {
      std::fprintf(stderr, "input %zu (%zu bytes): answer of %zu bytes differs from handle_request's %zu bytes\n", i,
                   req.size(), got.size(), r.size);
      ++failures;
    }
  }
  std::printf("inputs=%zu answered=%zu elsewhere=%zu failures=%zu\n", inputs.size(), answered, elsewhere, failures);
  ::close(fd);
  return failures == 0 ? 0 : 1;
}
