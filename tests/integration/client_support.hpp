// Helpers for libpinhole's integration tests: free loopback ports, child
// processes (pinholed, turnserver, pinhole-probe) and a scriptable STUN
// responder built from the codec, all over real sockets.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "address_conv.hpp"
#include "child_process.hpp"
#include "pinhole/pinhole.h"
#include "pinhole/types.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"
#include "udp_io.hpp"

extern char** environ;

namespace pinhole::test {

inline ip_endpoint ep(const std::string& text) { return *ip_endpoint::parse(text); }

// pinhole_options_new() for tests on loopback: port mapping off, so no PCP,
// NAT-PMP or SSDP goes to the host's default gateway (the C twin of the C++
// harnesses' `o.port_mapping.clear()`).
inline pinhole_options* loopback_c_options() {
  pinhole_options* o = pinhole_options_new();
  if (o != nullptr && pinhole_options_set_port_mapping(o, nullptr, 0) != PINHOLE_OK) {
    pinhole_options_free(o);
    return nullptr;
  }
  return o;
}

// A UDP socket bound on loopback; closes on destruction.
class udp_socket {
 public:
  explicit udp_socket(const std::string& local = "127.0.0.1:0") {
    const auto l = ep(local);
    std::error_code ec;
    fd_ = client::open_udp(l.family, ec);
    if (fd_ >= 0 && client::bind_udp(fd_, l)) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;
  ~udp_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  ip_endpoint local() const { return *client::local_endpoint(fd_); }
  void send_to(std::span<const std::byte> data, const ip_endpoint& to) const { client::send_udp(fd_, data, to); }
  struct datagram {
    std::vector<std::byte> bytes;
    ip_endpoint from;
  };
  std::optional<datagram> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::vector<std::byte> buf(65536);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 20);
      const auto r = client::receive_udp(fd_, buf);
      if (r.kind == client::received::datagram) {
        buf.resize(r.size);
        return datagram{buf, r.peer};
      }
    }
    return std::nullopt;
  }

 private:
  int fd_ = -1;
};

// A port that was free a moment ago on `ip` (UDP).
inline std::uint16_t free_port(const std::string& ip = "127.0.0.1") {
  udp_socket s(ip.find(':') != std::string::npos ? "[" + ip + "]:0" : ip + ":0");
  return s.local().port;
}

// "127.0.0.1:P" where nobody listens, for as long as the object lives. A
// port merely free a moment ago (free_port) can be taken by a test running
// in parallel; this one stays bound, but connected to another port, so the
// kernel matches no socket for datagrams from anyone else and answers them
// with ICMP port unreachable, as for a port nobody uses.
class dead_endpoint {
 public:
  dead_endpoint() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("dead_endpoint: bind");
    }
    port_ = ntohs(a.sin_port);
    a.sin_port = htons(9);  // discard: never a sender in these tests
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("dead_endpoint: connect");
  }
  dead_endpoint(const dead_endpoint&) = delete;
  dead_endpoint& operator=(const dead_endpoint&) = delete;
  ~dead_endpoint() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  std::string text() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Two adjacent free UDP ports (p, p+1) on both 127.0.0.1 and 127.0.0.2.
inline std::uint16_t free_port_pair() {
  for (int i = 0; i < 200; ++i) {
    const auto p = free_port();
    if (p >= 65534) continue;
    bool ok = true;
    for (const char* ip : {"127.0.0.1", "127.0.0.2"}) {
      for (int d = 0; d < 2; ++d) {
        udp_socket s(std::string(ip) + ":" + std::to_string(p + d));
        ok = ok && s.ok();
      }
    }
    if (ok) return p;
  }
  return 0;
}

// Sends Binding requests to `server` until one is answered (or `timeout`).
inline bool stun_answers(const ip_endpoint& server,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  udp_socket s(server.family == ip_family::v4 ? "127.0.0.1:0" : "[::1]:0");
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    std::array<std::byte, 12> id{};
    id[0] = std::byte{0x42};
    std::vector<std::byte> buf(64);
    stun::message_writer w(buf);
    w.begin(stun::binding_request, std::span<const std::byte, 12>(id));
    buf.resize(w.size());
    s.send_to(buf, server);
    if (s.receive(std::chrono::milliseconds(100))) return true;
  }
  return false;
}

// coturn's turnserver, or "" when it is not installed.
inline std::string turnserver_path() {
  for (const char* p : {"/usr/bin/turnserver", "/usr/local/bin/turnserver"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return {};
}

// Runs a command to completion; returns its exit code and stdout.
struct run_result {
  int exit_code = -1;
  std::string out;
};
inline run_result run(const std::vector<std::string>& argv) {
  int pipefd[2];
  run_result r;
  if (::pipe(pipefd) != 0) return r;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  if (rc != 0) {
    ::close(pipefd[0]);
    return r;
  }
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// pinholed on loopback with the given extra flags; waits until it answers.
class pinholed {
 public:
  explicit pinholed(const std::vector<std::string>& extra_args, const ip_endpoint& probe_at) {
    std::vector<std::string> argv{PINHOLED_PATH, "--workers", "1", "--log-level", "warning"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    proc_.emplace(argv);
    ready_ = proc_->started() && stun_answers(probe_at);
  }
  // Plain mode: one --listen address.
  static ip_endpoint plain_address(const std::string& ip = "127.0.0.1") {
    const auto port = free_port(ip);
    return ip.find(':') != std::string::npos ? ep("[" + ip + "]:" + std::to_string(port))
                                             : ep(ip + ":" + std::to_string(port));
  }
  bool ready() const { return ready_; }
  void stop() { proc_->stop(); }

 private:
  std::optional<child_process> proc_;
  bool ready_ = false;
};

// A STUN responder the test scripts: how to answer each Binding request.
class fake_stun_server {
 public:
  enum class mode {
    normal,            // XOR-MAPPED-ADDRESS = the request's source
    lie,               // XOR-MAPPED-ADDRESS = `lie_address`
    silent,            // never answers
    wrong_txid,        // answers with another transaction ID
    wrong_source,      // answers from another socket
    ipv6_mapped,       // an IPv6 XOR-MAPPED-ADDRESS to an IPv4 client
    bad_fingerprint,   // corrupt FINGERPRINT
    error_500,         // 500 Server Error
    other_is_primary,  // OTHER-ADDRESS = the server's own address
    try_alternate,     // 300 Try Alternate with ALTERNATE-SERVER = `lie_address`
    behind_cone,       // OTHER-ADDRESS = a second socket, which sees the same mapping (RFC 5780)
    behind_symmetric,  // the same, but the second socket sees another port: a symmetric NAT
    long_term_auth,    // RFC 8489 §9.2 long-term credentials (set_long_term), 401/438 challenges
  };

  explicit fake_stun_server(const std::string& local = "127.0.0.1:0") : sock_(local), other_("127.0.0.1:0") {
    thread_ = std::thread([this] { loop(); });
  }
  fake_stun_server(const fake_stun_server&) = delete;
  fake_stun_server& operator=(const fake_stun_server&) = delete;
  ~fake_stun_server() {
    stop_ = true;
    thread_.join();
  }
  ip_endpoint address() const { return sock_.local(); }
  void set_mode(mode m) { mode_ = m; }
  void set_lie(const ip_endpoint& e) {
    std::lock_guard lk(m_);
    lie_ = e;
  }
  int requests() const { return requests_; }
  // long_term_auth: the one user it knows; realm "pinhole.test".
  void set_long_term(std::string username, std::string password) {
    std::lock_guard lk(m_);
    lt_user_ = std::move(username);
    lt_pass_ = std::move(password);
  }
  // Makes the current nonce stale: requests carrying it get a 438.
  void rotate_nonce() { ++nonce_serial_; }
  std::string nonce() const { return "nonce-" + std::to_string(nonce_serial_.load()); }
  int other_requests() const { return other_requests_; }  // at the OTHER-ADDRESS socket

 private:
  void loop() {
    std::vector<std::byte> buf(2048);
    while (!stop_) {
      std::array<pollfd, 2> p{pollfd{sock_.fd(), POLLIN, 0}, pollfd{other_.fd(), POLLIN, 0}};
      if (::poll(p.data(), p.size(), 20) <= 0) continue;
      for (std::size_t k = 0; k < p.size(); ++k) {
        if ((p[k].revents & POLLIN) == 0) continue;
        const auto r = client::receive_udp(p[k].fd, buf);
        if (r.kind != client::received::datagram) continue;
        stun::message_view m;
        if (stun::message_view::parse(std::span<const std::byte>(buf).first(r.size), m)) continue;
        if (m.type() != stun::binding_request) continue;
        if (k == 0)
          ++requests_;
        else
          ++other_requests_;
        answer(m, r.peer, k == 1);
      }
    }
  }

  void answer(const stun::message_view& req, const ip_endpoint& from, bool at_other = false) {
    const auto md = mode_.load();
    if (md == mode::silent) return;
    std::array<std::byte, 12> id{};
    std::copy(req.transaction_id().begin(), req.transaction_id().end(), id.begin());
    if (md == mode::wrong_txid) id[0] ^= std::byte{0xFF};
    std::vector<std::byte> out(512);
    stun::message_writer w(out);
    if (md == mode::long_term_auth) {
      if (!answer_long_term(req, from, id, w)) return;
    } else if (md == mode::error_500) {
      w.begin(stun::binding_error, std::span<const std::byte, 12>(id)).add_error_code(500, "Server Error");
    } else if (md == mode::try_alternate) {
      std::lock_guard lk(m_);
      w.begin(stun::binding_error, std::span<const std::byte, 12>(id))
          .add_error_code(300, "Try Alternate")
          .add_address(stun::attr::alternate_server, client::to_stun(lie_));
    } else {
      ip_endpoint mapped = from;
      if (md == mode::lie) {
        std::lock_guard lk(m_);
        mapped = lie_;
      }
      if (md == mode::ipv6_mapped) mapped = ep("[2001:db8::7]:4000");
      // A symmetric NAT gives the same socket another port towards another destination.
      if (md == mode::behind_symmetric && at_other) mapped.port = static_cast<std::uint16_t>(mapped.port ^ 1);
      w.begin(stun::binding_success, std::span<const std::byte, 12>(id))
          .add_xor_address(stun::attr::xor_mapped_address, client::to_stun(mapped));
      if (md == mode::other_is_primary) w.add_address(stun::attr::other_address, client::to_stun(address()));
      if ((md == mode::behind_cone || md == mode::behind_symmetric) && !at_other) {
        w.add_address(stun::attr::other_address, client::to_stun(other_.local()));
      }
    }
    w.add_fingerprint();
    out.resize(w.size());
    if (md == mode::bad_fingerprint) out.back() ^= std::byte{1};
    (md == mode::wrong_source || at_other ? other_ : sock_).send_to(out, from);
  }

  // RFC 8489 §9.2.4: no credentials -> 401 with REALM and NONCE; a nonce
  // that is not the current one -> 438 with the new one; a wrong
  // MESSAGE-INTEGRITY -> 401; else success signed with the long-term key.
  // Writes the answer into `w` (begun here); false if nothing is to be sent.
  bool answer_long_term(const stun::message_view& req, const ip_endpoint& from, const std::array<std::byte, 12>& id,
                        stun::message_writer& w) {
    static constexpr std::string_view realm = "pinhole.test";
    const std::string current = nonce();
    const auto challenge = [&](std::uint16_t code) {
      w.begin(stun::binding_error, std::span<const std::byte, 12>(id))
          .add_error_code(code, code == 438 ? "Stale Nonce" : "Unauthenticated")
          .add_text(stun::attr::realm, realm)
          .add_text(stun::attr::nonce, current);
      return true;
    };
    const auto user = req.find(stun::attr::username);
    const auto r = req.find(stun::attr::realm);
    const auto n = req.find(stun::attr::nonce);
    if (!user || !r || !n || !req.integrity()) return challenge(401);
    std::string_view nv;
    if (stun::decode_text(*n, 763, nv) || nv != current) return challenge(438);
    std::lock_guard lk(m_);
    std::string_view uv;
    if (stun::decode_text(*user, 513, uv) || uv != lt_user_) return challenge(401);
    const auto key = stun::long_term_key(lt_user_, realm, lt_pass_);
    if (stun::verify_integrity(req, key)) return challenge(401);
    w.begin(stun::binding_success, std::span<const std::byte, 12>(id))
        .add_xor_address(stun::attr::xor_mapped_address, client::to_stun(from))
        .add_message_integrity(key);
    return true;
  }

  udp_socket sock_;
  udp_socket other_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<mode> mode_{mode::normal};
  std::atomic<int> requests_{0};
  std::atomic<int> other_requests_{0};
  std::atomic<int> nonce_serial_{1};
  std::string lt_user_, lt_pass_;
  std::mutex m_;
  ip_endpoint lie_;
};

}  // namespace pinhole::test
