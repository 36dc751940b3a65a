// turn-agent: a host of the TURN lab (turn_relay.sh) behind a symmetric NAT,
// driving libpinhole's relayed mappings as an RTC client would and printing
// one line per fact.
//
//   turn-agent map  --stun IP:PORT --turn turn:IP:PORT --user U --password P [--remote IP:PORT]
//       One GetMapping; "ok relayed=yes external=... ms=N" or "error NAME message=...".
//   turn-agent call --stun ... --turn ... --user U --password P --remote IP:PORT
//                   --peer-file F --go-file F [--seconds N] [--pps N] [--lifetime S]
//                   [--second] [--late-peer IP] [--app-owned]
//       GetMapping (relayed: the NAT is symmetric), "relayed INTERNAL EXTERNAL ms=N";
//       with --second a second GetMapping ("second ok|error NAME": the quota).
//       Waits for the peer's relayed address in --peer-file, UpdateRemoteAddress
//       towards it ("permitted PEER"), waits for --go-file, then sends RTP-sized
//       packets (172 bytes, sequence numbered) to the peer at --pps for
//       --seconds through the relay (send() wraps) and counts the peer's
//       ("rtp sent=S received=R dup=D other=O"; other = datagrams from anyone
//       else). --late-peer: then a permission for that IP ("permitted_extra IP")
//       and up to 5 s for its datagrams ("late received=N"). Finally
//       ReleaseMapping ("released").
//       --app-owned: the socket is the agent's (attach_socket with
//       options::relay_attached_sockets); a receive thread reads it and hands
//       every datagram to handle_datagram, which unwraps relayed data into the
//       buffer; sending goes through send() (the library wraps).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pinhole/port_manager.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace pinhole;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct args {
  std::string mode, stun, turn, user, password, remote, peer_file, go_file, late_peer;
  unsigned seconds = 10;
  unsigned pps = 50;
  unsigned lifetime = 600;
  bool second = false;
  bool app_owned = false;
};

std::optional<args> parse(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--second") {
      a.second = true;
      continue;
    }
    if (k == "--app-owned") {
      a.app_owned = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string v = argv[++i];
    if (k == "--stun")
      a.stun = v;
    else if (k == "--turn")
      a.turn = v;
    else if (k == "--user")
      a.user = v;
    else if (k == "--password")
      a.password = v;
    else if (k == "--remote")
      a.remote = v;
    else if (k == "--peer-file")
      a.peer_file = v;
    else if (k == "--go-file")
      a.go_file = v;
    else if (k == "--late-peer")
      a.late_peer = v;
    else if (k == "--seconds")
      a.seconds = static_cast<unsigned>(std::stoul(v));
    else if (k == "--pps")
      a.pps = static_cast<unsigned>(std::stoul(v));
    else if (k == "--lifetime")
      a.lifetime = static_cast<unsigned>(std::stoul(v));
    else
      return std::nullopt;
  }
  if (a.stun.empty() || a.turn.empty() || a.user.empty() || a.pps == 0) return std::nullopt;
  if (a.mode == "call" && (a.remote.empty() || a.peer_file.empty() || a.go_file.empty())) return std::nullopt;
  return a;
}

void say(const std::string& line) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

long long ms_since(steady::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
}

long long wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string name(std::error_code ec) {
  if (ec.category() != client_category()) return "system";
  switch (static_cast<errc>(ec.value())) {
    case errc::wrong_credentials: return "wrong_credentials";
    case errc::allocation_quota_reached: return "allocation_quota_reached";
    case errc::insufficient_capacity: return "insufficient_capacity";
    case errc::allocation_mismatch: return "allocation_mismatch";
    case errc::destination_dependent_mapping: return "destination_dependent_mapping";
    case errc::timeout: return "timeout";
    case errc::bad_response: return "bad_response";
    default: return "errc" + std::to_string(ec.value());
  }
}

std::string error_line(const std::string& what, std::error_code ec) {
  return what + " error " + name(ec) + " message=\"" + ec.message() + "\"";
}

options base_options(const args& a) {
  options o;
  o.servers = {a.stun};
  o.use_srv = false;
  o.call_timeout = 4000ms;
  o.turn_servers = {turn_server{a.turn, a.user, a.password}};
  o.turn_lifetime = std::chrono::seconds(a.lifetime);
  return o;
}

int map_once(const args& a) {
  std::error_code ec;
  auto pm = port_manager::create(base_options(a), ec);
  if (!pm) return say(error_line("create", ec)), 1;
  mapping m;
  const auto t0 = steady::now();
  ec = pm->get_mapping(a.remote.empty() ? a.stun : a.remote, port_type::audio_rtp, m);
  if (ec) return say(error_line("map", ec)), 1;
  say(std::string("ok relayed=") + (m.relayed() ? "yes" : "no") + " external=" + m.external.to_string() +
      " ms=" + std::to_string(ms_since(t0)));
  return 0;
}

// Packets of the call: 172 bytes (RTP header + 160 bytes of PCMU), RTP v2,
// sequence number in bytes 2-3.
constexpr std::size_t rtp_size = 172;

struct tally {
  std::mutex m;
  std::vector<bool> seen;
  unsigned received = 0, dup = 0, other = 0, late = 0;
  std::optional<ip_endpoint> peer, late_ip;
  void on(const ip_endpoint& from, std::span<const std::byte> d) {
    std::lock_guard<std::mutex> lk(m);
    if (late_ip && from.same_ip(*late_ip) && !(peer && from == *peer)) {
      ++late;
      return;
    }
    if (!peer || from != *peer || d.size() != rtp_size || std::to_integer<unsigned>(d[0]) != 0x80) {
      ++other;
      if (other <= 3) say("other from " + from.to_string() + " bytes=" + std::to_string(d.size()));
      return;
    }
    const auto seq = (std::to_integer<std::size_t>(d[2]) << 8) | std::to_integer<std::size_t>(d[3]);
    if (seq >= seen.size()) seen.resize(seq + 1, false);
    if (seen[seq]) {
      ++dup;
      return;
    }
    seen[seq] = true;
    ++received;
  }
};

bool wait_file(const std::string& path, std::string* content, std::chrono::seconds limit) {
  const auto end = steady::now() + limit;
  while (steady::now() < end) {
    std::ifstream f(path);
    std::string line;
    if (f && std::getline(f, line) && !line.empty()) {
      if (content != nullptr) *content = line;
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// The application's own socket and receive loop (--app-owned).
struct own_socket {
  int fd = -1;
  std::atomic<bool> stop{false};
  std::thread reader;
  ~own_socket() {
    stop = true;
    if (reader.joinable()) reader.join();
    if (fd >= 0) ::close(fd);
  }
  bool open() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    return fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&sin), sizeof sin) == 0;
  }
  void run(port_manager& pm, const ip_endpoint& local, tally& t) {
    reader = std::thread([this, &pm, local, &t] {
      std::vector<std::byte> buf(65536);
      while (!stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const auto n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
        if (n < 0) continue;
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
        char ip[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        const auto from = ip_endpoint::parse_ip(ip, ntohs(sin->sin_port));
        if (!from) continue;
        const std::span<const std::byte> d(buf.data(), static_cast<std::size_t>(n));
        // Relayed data is unwrapped into `d`: `peer` and `payload` say what it was.
        relayed_datagram r;
        switch (pm.handle_datagram(local, *from, d, r)) {
          case datagram_kind::library: break;  // the library's STUN or TURN control traffic
          case datagram_kind::relayed: t.on(r.peer, r.payload); break;
          case datagram_kind::application: t.on(*from, d); break;  // direct, not through the relay
        }
      }
    });
  }
};

int call(const args& a) {
  tally t;
  auto o = base_options(a);
  if (!a.app_owned) {
    o.on_datagram = [&t](const mapping&, const ip_endpoint& from, std::span<const std::byte> d) { t.on(from, d); };
  } else {
    o.relay_attached_sockets = true;
  }
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) return say(error_line("create", ec)), 1;
  const auto remote = ip_endpoint::parse(a.remote);
  if (!remote) return say("error bad --remote"), 2;
  mapping m;
  own_socket own;
  const auto t0 = steady::now();
  if (a.app_owned) {
    // The receive loop runs first: the answers to the library's STUN and
    // TURN transactions come in through it while attach_socket waits.
    if (!own.open()) return say("error socket"), 1;
    sockaddr_in bound{};
    socklen_t blen = sizeof bound;
    ::getsockname(own.fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    own.run(*pm, ip_endpoint::any(ip_family::v4, ntohs(bound.sin_port)), t);
    ec = pm->attach_socket(own.fd, port_type::audio_rtp, *remote, m);
  } else {
    ec = pm->get_mapping(*remote, port_type::audio_rtp, m);
  }
  if (ec) return say(error_line("map", ec)), 1;
  say("relayed " + m.internal.to_string() + " " + m.external.to_string() + " ms=" + std::to_string(ms_since(t0)) +
      " origin=" + to_string(m.origin));
  if (!m.relayed()) return say("error not relayed"), 1;
  if (a.second) {
    mapping m2;
    const auto e2 = pm->get_mapping(*remote, port_type::video_rtp, m2);
    say(e2 ? error_line("second", e2) : "second ok external=" + m2.external.to_string());
  }
  std::string peer_text;
  if (!wait_file(a.peer_file, &peer_text, 30s)) return say("error no peer address in " + a.peer_file), 1;
  const auto peer = ip_endpoint::parse(peer_text);
  if (!peer) return say("error bad peer address " + peer_text), 1;
  {
    std::lock_guard<std::mutex> lk(t.m);
    t.peer = peer;
  }
  // UpdateRemoteAddress: the permission (and channel) for the peer's relay.
  if ((ec = pm->update_remote_address(*peer, m.internal, m.external))) return say(error_line("permit", ec)), 1;
  say("permitted " + peer->to_string());
  if (!wait_file(a.go_file, nullptr, 30s)) return say("error no go"), 1;

  const unsigned total = a.seconds * a.pps;
  const auto interval = std::chrono::microseconds(1000000 / a.pps);
  std::vector<std::byte> pkt(rtp_size, std::byte{0});
  pkt[0] = std::byte{0x80};
  unsigned sent = 0, send_errors = 0;
  auto next = steady::now();
  for (unsigned i = 0; i < total; ++i) {
    pkt[2] = static_cast<std::byte>(i >> 8);
    pkt[3] = static_cast<std::byte>(i & 0xFF);
    if (pm->send(m.internal, *peer, pkt))
      ++send_errors;
    else
      ++sent;
    next += interval;
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(1500ms);  // the peer's last packets
  {
    std::lock_guard<std::mutex> lk(t.m);
    say("rtp sent=" + std::to_string(sent) + " send_errors=" + std::to_string(send_errors) + " received=" +
        std::to_string(t.received) + " dup=" + std::to_string(t.dup) + " other=" + std::to_string(t.other));
  }
  if (!a.late_peer.empty()) {
    const auto late = ip_endpoint::parse_ip(a.late_peer, 0);
    if (!late) return say("error bad --late-peer"), 2;
    {
      std::lock_guard<std::mutex> lk(t.m);
      t.late_ip = late;
    }
    if ((ec = pm->update_remote_address(*late, m.internal, m.external))) return say(error_line("permit_extra", ec)), 1;
    say("permitted_extra " + late->ip_string());
    for (int i = 0; i < 50; ++i) {
      {
        std::lock_guard<std::mutex> lk(t.m);
        if (t.late > 0) break;
      }
      std::this_thread::sleep_for(100ms);
    }
    std::lock_guard<std::mutex> lk(t.m);
    say("late received=" + std::to_string(t.late));
  }
  if (a.app_owned)
    ec = pm->detach_socket(m.internal);
  else
    ec = pm->release_mapping(m.internal, m.external);
  if (ec) return say(error_line("release", ec)), 1;
  say("released wall_ms=" + std::to_string(wall_ms()) + " relayed_now=" + (pm->is_relayed(m.internal) ? "yes" : "no"));
  std::this_thread::sleep_for(500ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto a = parse(argc, argv);
  if (!a) {
    std::fprintf(stderr,
                 "usage: turn-agent map|call --stun IP:PORT --turn turn:IP:PORT --user U --password P "
                 "[--remote IP:PORT] [--peer-file F --go-file F] [--seconds N] [--pps N] [--lifetime S] "
                 "[--second] [--late-peer IP] [--app-owned]\n");
    return 2;
  }
  if (a->mode == "map") return map_once(*a);
  if (a->mode == "call") return call(*a);
  return 2;
}
