// portmap-agent: the inside host of the port-mapping lab (portmap.sh).
//
//   portmap-agent --server IP:PORT [--peer IP:PORT] [--protocols pcp,natpmp,upnp|none]
//                 [--gateway IP[:PORT]] [--lifetime S] [--seconds N] [--model get|attach]
//                 [--upnp-timeout MS] [--call-timeout MS]
//
// Creates a port manager (port mapping as configured), GetMapping towards
// --peer, prints "ok external=E origin=O lease_s=L t_ms=T" or "error NAME
// ...", then for --seconds prints every datagram the mapped socket receives
// ("datagram FROM TEXT") and every event, then releases the mapping
// ("released"), waits a second and ends (the destructor deletes what is left).
// --model attach: the application-owned model instead of GetMapping: the
// agent binds its own UDP socket, attach_socket()s it, reads it itself and
// passes the STUN range to handle_datagram(); detach_socket() releases it.
#include <pinhole/errors.hpp>
#include <pinhole/port_manager.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace {

using namespace pinhole;

void say(const std::string& line) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::vector<mapping_origin> protocols(const std::string& list) {
  std::vector<mapping_origin> out;
  std::stringstream in(list);
  std::string p;
  while (std::getline(in, p, ',')) {
    if (p == "pcp") out.push_back(mapping_origin::pcp);
    if (p == "natpmp") out.push_back(mapping_origin::natpmp);
    if (p == "upnp") out.push_back(mapping_origin::upnp);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, peer, protos = "pcp,natpmp,upnp", gateway, model = "get";
  unsigned lifetime = 7200, seconds = 3;
  unsigned long upnp_timeout = 0, call_timeout = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--server")
      server = v;
    else if (k == "--peer")
      peer = v;
    else if (k == "--protocols")
      protos = v;
    else if (k == "--gateway")
      gateway = v;
    else if (k == "--lifetime")
      lifetime = static_cast<unsigned>(std::stoul(v));
    else if (k == "--seconds")
      seconds = static_cast<unsigned>(std::stoul(v));
    else if (k == "--model")
      model = v;
    else if (k == "--upnp-timeout")
      upnp_timeout = std::stoul(v);
    else if (k == "--call-timeout")
      call_timeout = std::stoul(v);
    else
      return say("usage: see the header of portmap_agent.cpp"), 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto ms = [&] {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  };
  options o;
  o.servers = {server};
  o.use_srv = false;
  o.port_mapping = protocols(protos);
  if (!gateway.empty()) o.portmap_gateways = {gateway};
  o.portmap_lifetime = lifetime;
  if (upnp_timeout != 0) o.portmap_upnp_timeout = std::chrono::milliseconds(upnp_timeout);
  if (call_timeout != 0) o.call_timeout = std::chrono::milliseconds(call_timeout);
  o.on_datagram = [&](const mapping&, const ip_endpoint& from, std::span<const std::byte> data) {
    say("datagram " + from.to_string() + " " + std::string(reinterpret_cast<const char*>(data.data()), data.size()) +
        " t_ms=" + ms());
  };
  o.on_event = [&](const event& e) {
    say(std::string("event ") + to_string(e.type) + " " + e.previous_external.to_string() + " -> " +
        e.current.external.to_string() + " origin=" + to_string(e.current.origin) + " t_ms=" + ms());
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) return say("error create " + ec.message()), 1;
  const auto created = ms();
  mapping m;
  const auto before = std::chrono::steady_clock::now();
  const auto remote = ip_endpoint::parse(peer.empty() ? server : peer, true);
  if (!remote) return say("error bad --peer"), 2;
  int fd = -1;
  std::atomic<bool> reading{true};
  std::thread reader;
  if (model == "attach") {
    // The application's socket and receive loop (a stack like pjsip's).
    fd = ::socket(remote->family == ip_family::v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (remote->family == ip_family::v4) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      len = sizeof(sockaddr_in);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      len = sizeof(sockaddr_in6);
    }
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return say("error bind"), 1;
    // handle_datagram needs the socket's family and port (what attach_socket
    // will report as mapping::internal), known before it returns.
    sockaddr_storage bound{};
    socklen_t bl = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bl);
    const std::uint16_t bound_port =
        ntohs(bound.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(&bound)->sin_port
                                         : reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
    const auto local = ip_endpoint::any(remote->family, bound_port);
    timeval tv{0, 200000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader = std::thread([&, local] {
      std::array<std::byte, 1500> buf{};
      while (reading) {
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        const auto n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) continue;
        char host[INET6_ADDRSTRLEN] = {};
        std::uint16_t port = 0;
        if (from.ss_family == AF_INET) {
          const auto* a = reinterpret_cast<const sockaddr_in*>(&from);
          ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
          port = ntohs(a->sin_port);
        } else {
          const auto* a = reinterpret_cast<const sockaddr_in6*>(&from);
          ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
          port = ntohs(a->sin6_port);
        }
        const auto src = ip_endpoint::parse_ip(host, port);
        const std::span<const std::byte> data(buf.data(), static_cast<std::size_t>(n));
        if (src && pm->handle_datagram(local, *src, data)) continue;  // the library's STUN
        if (src) {
          say("datagram " + src->to_string() + " " +
              std::string(reinterpret_cast<const char*>(data.data()), data.size()) + " t_ms=" + ms());
        }
      }
    });
    ec = pm->attach_socket(fd, port_type::audio_rtp, *remote, m);
  } else {
    ec = pm->get_mapping(*remote, port_type::audio_rtp, m);
  }
  const auto stop_reader = [&] {
    reading = false;
    if (reader.joinable()) reader.join();
    if (fd >= 0) ::close(fd);
  };
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - before);
  if (ec) {
    say("error " + ec.message() + " external=" + m.external.to_string() + " get_ms=" + std::to_string(took.count()));
    stop_reader();
    return 1;
  }
  const auto lease =
      m.origin == mapping_origin::stun
          ? 0
          : std::chrono::duration_cast<std::chrono::seconds>(m.lease_end - std::chrono::system_clock::now()).count();
  say("ok external=" + m.external.to_string() + " internal=" + m.internal.to_string() +
      " origin=" + to_string(m.origin) + " lease_s=" + std::to_string(lease) + " created_ms=" + created +
      " get_ms=" + std::to_string(took.count()));
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  ec = model == "attach" ? pm->detach_socket(m.internal) : pm->release_mapping(m.internal, m.external);
  say(std::string("released ") + (ec ? ec.message() : "ok"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop_reader();
  return 0;
}
