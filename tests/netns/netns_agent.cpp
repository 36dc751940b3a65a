// netns-agent: the inside host "A" of the NAT lab, driving libpinhole exactly
// as an RTC client would, and printing what happened one line per fact:
//
//   netns-agent hold   --server IP:PORT [--keepalive MS] --seconds N
//       GetMapping towards the server, keep it alive, print every event
//       ("mapping INTERNAL EXTERNAL", "event mapping_changed t_ms=.. wall_ms=..
//       internal=INTERNAL OLD -> NEW"). The network monitor is on (default).
//   netns-agent map    --server IP:PORT [--peer IP:PORT]
//       One GetMapping; prints "ok external=..." or "error destination_dependent ..."
//   netns-agent answer --server IP:PORT --peer IP:PORT --seconds N
//       The KB 826283 callee: StartListen for SIP, UpdateRemoteAddress to punch
//       towards the peer's advertised (Contact) address, answer one INVITE with
//       200 OK whose Contact and SDP carry the external mappings, punch the
//       peer's media address, send RTP from the mapped RTP socket, count the
//       RTP that comes back, answer BYE. Exit 0 when INVITE and RTP both ways
//       happened.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pinhole/port_manager.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace {

using namespace pinhole;
using namespace std::chrono_literals;

struct args {
  std::string mode, server, peer;
  unsigned seconds = 10;
  unsigned keepalive_ms = 25000;
};

std::optional<args> parse(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  args a;
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--server")
      a.server = v;
    else if (k == "--peer")
      a.peer = v;
    else if (k == "--seconds")
      a.seconds = static_cast<unsigned>(std::stoul(v));
    else if (k == "--keepalive")
      a.keepalive_ms = static_cast<unsigned>(std::stoul(v));
    else
      return std::nullopt;
  }
  if (a.server.empty() || (a.mode == "answer" && a.peer.empty())) return std::nullopt;
  return a;
}

const auto started = std::chrono::steady_clock::now();
std::string elapsed() {
  return "t_ms=" +
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

void say(const std::string& line) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string header(const std::string& msg, const std::string& name) {
  // First header line "Name: value" (case as SIPp writes it).
  const auto at = msg.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  const auto start = msg.find_first_not_of(' ', at + name.size() + 3);
  return msg.substr(start, msg.find("\r\n", start) - start);
}

// Sends from the mapped socket itself (mapping::native_handle), as an RTC
// stack does: the library's own send() may not be called from its event
// thread, where on_datagram runs.
void reply(const mapping& m, const ip_endpoint& to, const std::string& text) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(to.port);
  inet_pton(AF_INET, to.ip_string().c_str(), &sin.sin_addr);
  const auto n =
      ::sendto(m.native_handle, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
  if (n < 0) say("error sendto " + to.to_string());
}

std::optional<ip_endpoint> sdp_media(const std::string& msg) {
  const auto c = msg.find("c=IN IP4 ");
  const auto m = msg.find("m=audio ");
  if (c == std::string::npos || m == std::string::npos) return std::nullopt;
  const auto ip = msg.substr(c + 9, msg.find("\r\n", c) - c - 9);
  return ip_endpoint::parse_ip(ip, static_cast<std::uint16_t>(std::stoul(msg.substr(m + 8))));
}

int hold(const args& a) {
  options o;
  o.servers = {a.server};
  o.use_srv = false;
  o.keepalive_interval = std::chrono::milliseconds(a.keepalive_ms);
  o.on_event = [](const event& e) {
    // wall_ms: CLOCK_REALTIME, comparable with `date +%s%3N` in the scripts.
    const auto wall =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    say(std::string("event ") + to_string(e.type) + " " + elapsed() + " wall_ms=" + std::to_string(wall) +
        " internal=" + e.current.internal.to_string() + " " + e.previous_external.to_string() + " -> " +
        e.current.external.to_string());
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) return say("error create " + ec.message()), 1;
  mapping m;
  if ((ec = pm->get_mapping(a.server, port_type::audio_rtp, m))) return say("error get_mapping " + ec.message()), 1;
  say("mapping " + m.internal.to_string() + " " + m.external.to_string() + " " + elapsed());
  std::this_thread::sleep_for(std::chrono::seconds(a.seconds));
  say("keepalives " + std::to_string(pm->stats().keepalives));
  return 0;
}

// GetMapping once towards --peer (or the server) and report what came back.
int map_once(const args& a) {
  options o;
  o.servers = {a.server};
  o.use_srv = false;
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) return say("error create " + ec.message()), 1;
  mapping m;
  ec = pm->get_mapping(a.peer.empty() ? a.server : a.peer, port_type::audio_rtp, m);
  say(std::string(ec ? "error " : "ok ") + (ec == errc::destination_dependent_mapping ? "destination_dependent " : "") +
      "external=" + m.external.to_string() + " dependent=" + (m.destination_dependent ? "yes" : "no") +
      (ec ? " message=\"" + ec.message() + "\"" : ""));
  return ec ? 1 : 0;
}

int answer(const args& a) {
  const auto peer = ip_endpoint::parse(a.peer);
  if (!peer) return say("error bad --peer"), 2;
  std::atomic<int> rtp_in{0};
  std::atomic<bool> invited{false}, acked{false}, bye{false};
  std::mutex mu;
  std::string invite;
  std::optional<mapping> sip, rtp;

  options o;
  o.servers = {a.server};
  o.use_srv = false;
  o.on_datagram = [&](const mapping& m, const ip_endpoint& from, std::span<const std::byte> data) {
    const std::string text(reinterpret_cast<const char*>(data.data()), data.size());
    if (m.type == port_type::audio_rtp) {
      if (!data.empty() && (std::to_integer<unsigned>(data[0]) & 0xC0U) == 0x80U) ++rtp_in;  // RTP v2
      return;
    }
    if (text.rfind("INVITE ", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu);
      invite = text;
      invited = true;
      say("invite from " + from.to_string());
      const auto& c = sip->external;
      const std::string sdp = "v=0\r\no=- 1 1 IN IP4 " + rtp->external.ip_string() + "\r\ns=-\r\nc=IN IP4 " +
                              rtp->external.ip_string() + "\r\nt=0 0\r\nm=audio " + std::to_string(rtp->external.port) +
                              " RTP/AVP 0\r\n";
      const std::string ok = "SIP/2.0 200 OK\r\nVia: " + header(text, "Via") + "\r\nFrom: " + header(text, "From") +
                             "\r\nTo: " + header(text, "To") + ";tag=pinhole\r\nCall-ID: " + header(text, "Call-ID") +
                             "\r\nCSeq: " + header(text, "CSeq") + "\r\nContact: <sip:a@" + c.to_string() +
                             ">\r\nContent-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) +
                             "\r\n\r\n" + sdp;
      reply(m, from, ok);
    } else if (text.rfind("ACK ", 0) == 0) {
      acked = true;
    } else if (text.rfind("BYE ", 0) == 0) {
      const std::string ok = "SIP/2.0 200 OK\r\nVia: " + header(text, "Via") + "\r\nFrom: " + header(text, "From") +
                             "\r\nTo: " + header(text, "To") + "\r\nCall-ID: " + header(text, "Call-ID") +
                             "\r\nCSeq: " + header(text, "CSeq") + "\r\nContent-Length: 0\r\n\r\n";
      reply(m, from, ok);
      bye = true;
    }
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) return say("error create " + ec.message()), 1;
  mapping listen, media;
  // StartListen: the external address of the listen port goes into Contact.
  if ((ec = pm->start_listen(ip_endpoint::any(ip_family::v4, 5060), listen)))
    return say("error start_listen " + ec.message()), 1;
  if ((ec = pm->get_mapping(*peer, port_type::audio_rtp, media))) return say("error get_mapping " + ec.message()), 1;
  {
    std::lock_guard<std::mutex> lock(mu);
    sip = listen;
    rtp = media;
  }
  say("contact " + listen.internal.to_string() + " " + listen.external.to_string());
  say("media " + media.internal.to_string() + " " + media.external.to_string());
  // UpdateRemoteAddress: open the NAT's filter towards the peer's Contact.
  if ((ec = pm->update_remote_address(*peer, listen.internal, listen.external)))
    return say("error punch " + ec.message()), 1;
  say("punched " + peer->to_string());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.seconds);
  bool media_started = false;
  int rtp_out = 0;
  while (std::chrono::steady_clock::now() < deadline && !bye) {
    if (acked && !media_started) {
      std::string inv;
      {
        std::lock_guard<std::mutex> lock(mu);
        inv = invite;
      }
      if (const auto remote_media = sdp_media(inv)) {
        pm->update_remote_address(*remote_media, media.internal, media.external);
        for (; rtp_out < 20; ++rtp_out) {
          std::string pkt(172, '\0');
          pkt[0] = '\x80';
          pkt[3] = static_cast<char>(rtp_out);
          pm->send(media.internal, *remote_media, bytes(pkt));
          std::this_thread::sleep_for(20ms);
        }
        say("rtp_sent " + std::to_string(rtp_out) + " to " + remote_media->to_string());
      }
      media_started = true;
    }
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(300ms);
  say("rtp_received " + std::to_string(rtp_in.load()));
  say(std::string("result invite=") + (invited ? "yes" : "no") + " bye=" + (bye ? "yes" : "no"));
  return invited && rtp_out > 0 && rtp_in > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto a = parse(argc, argv);
  if (!a) {
    std::fprintf(stderr,
                 "usage: netns-agent hold|answer --server IP:PORT [--peer IP:PORT] [--seconds N] [--keepalive MS]\n");
    return 2;
  }
  if (a->mode == "hold") return hold(*a);
  if (a->mode == "answer") return answer(*a);
  if (a->mode == "map") return map_once(*a);
  return 2;
}
