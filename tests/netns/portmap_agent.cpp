// portmap-agent: the inside host of the port-mapping lab (portmap.sh).
//
//   portmap-agent --server IP:PORT [--peer IP:PORT] [--protocols pcp,natpmp|none]
//                 [--gateway IP[:PORT]] [--lifetime S] [--seconds N]
//
// Creates a port manager (port mapping as configured), GetMapping towards
// --peer, prints "ok external=E origin=O lease_s=L t_ms=T" or "error NAME
// ...", then for --seconds prints every datagram the mapped socket receives
// ("datagram FROM TEXT") and every event, then releases the mapping
// ("released"), waits a second and ends (the destructor deletes what is left).
#include <pinhole/errors.hpp>
#include <pinhole/port_manager.hpp>

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
  std::string server, peer, protos = "pcp,natpmp,upnp", gateway;
  unsigned lifetime = 7200, seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") server = v;
    else if (k == "--peer") peer = v;
    else if (k == "--protocols") protos = v;
    else if (k == "--gateway") gateway = v;
    else if (k == "--lifetime") lifetime = static_cast<unsigned>(std::stoul(v));
    else if (k == "--seconds") seconds = static_cast<unsigned>(std::stoul(v));
    else return say("usage: see the header of portmap_agent.cpp"), 2;
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
  ec = pm->get_mapping(peer.empty() ? server : peer, port_type::audio_rtp, m);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - before);
  if (ec) {
    say("error " + ec.message() + " external=" + m.external.to_string() + " get_ms=" + std::to_string(took.count()));
    return 1;
  }
  const auto lease = m.origin == mapping_origin::stun
                         ? 0
                         : std::chrono::duration_cast<std::chrono::seconds>(m.lease_end - std::chrono::system_clock::now()).count();
  say("ok external=" + m.external.to_string() + " internal=" + m.internal.to_string() + " origin=" + to_string(m.origin) +
      " lease_s=" + std::to_string(lease) + " created_ms=" + created + " get_ms=" + std::to_string(took.count()));
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  ec = pm->release_mapping(m.internal, m.external);
  say(std::string("released ") + (ec ? ec.message() : "ok"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return 0;
}
