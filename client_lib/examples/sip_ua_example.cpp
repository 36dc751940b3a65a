// pinhole-example-ua: a tiny SIP user agent over UDP showing how an RTC
// client uses libpinhole through the session_port_management hook. Every
// address it advertises (Via, Contact, SDP c=/m=/a=rtcp) comes from
// GetMapping/StartListen, and every packet leaves from the mapped socket.
//
//   pinhole-example-ua --server IP:PORT --listen IP:PORT          (answers one INVITE)
//   pinhole-example-ua --server IP:PORT --call sip:user@IP:PORT   (places one call)
//   [--timeout MS]  exit 0 on a completed INVITE/200/ACK exchange, 1 otherwise, 2 on usage errors.
#include <pinhole/port_manager.hpp>
#include <pinhole/session_port_management.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace pinhole;
using namespace std::chrono_literals;

struct sip_message {
  std::string start;                           // request line or status line
  std::map<std::string, std::string> headers;  // lower-case names, first occurrence
  std::string body;

  static std::optional<sip_message> parse(const std::string& text) {
    sip_message m;
    const auto head_end = text.find("\r\n\r\n");
    if (head_end == std::string::npos) return std::nullopt;
    std::istringstream in(text.substr(0, head_end));
    std::string line;
    if (!std::getline(in, m.start)) return std::nullopt;
    if (!m.start.empty() && m.start.back() == '\r') m.start.pop_back();
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      m.headers.emplace(name, value);
    }
    m.body = text.substr(head_end + 4);
    return m;
  }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::string token() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

std::string ip_version(const ip_endpoint& e) { return e.family == ip_family::v4 ? "IP4" : "IP6"; }
std::string host(const ip_endpoint& e) { return e.family == ip_family::v4 ? e.ip_string() : "[" + e.ip_string() + "]"; }

// RTP media address of an SDP body: c= line IP and m=audio port.
std::optional<ip_endpoint> sdp_media(const std::string& sdp) {
  std::string ip;
  unsigned port = 0;
  std::istringstream in(sdp);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("c=IN ", 0) == 0 && line.size() > 9) ip = line.substr(9);
    if (line.rfind("m=audio ", 0) == 0) port = static_cast<unsigned>(std::stoul(line.substr(8)));
  }
  if (ip.empty() || port == 0 || port > 65535) return std::nullopt;
  return ip_endpoint::parse_ip(ip, static_cast<std::uint16_t>(port));
}

class sip_ua final : public session_port_management {
 public:
  void set_port_manager(port_manager* pm) override { pm_ = pm; }

  // Called from the library's thread with datagrams of our sockets.
  void on_datagram(const mapping& m, const ip_endpoint& from, std::span<const std::byte> data) {
    if (m.type != port_type::sip || data.empty()) return;  // media and punch packets: not ours to print
    std::string text(reinterpret_cast<const char*>(data.data()), data.size());
    std::lock_guard lk(mu_);
    inbox_.push_back({from, std::move(text)});
    cv_.notify_all();
  }

  int call(const std::string& uri, std::chrono::milliseconds timeout) {
    const auto at = uri.find('@');
    const auto target = ip_endpoint::parse(at == std::string::npos ? uri : uri.substr(at + 1));
    if (uri.rfind("sip:", 0) != 0 || !target) return usage("--call expects sip:user@IP:PORT");
    if (!map_all(*target)) return 1;
    const std::string sdp = offer();
    const std::string call_id = token() + "@" + sip_.external.ip_string();
    const std::string tag = token();
    std::ostringstream invite;
    invite << "INVITE " << uri << " SIP/2.0\r\n"
           << "Via: SIP/2.0/UDP " << host(sip_.external) << ":" << sip_.external.port << ";branch=z9hG4bK" << token()
           << ";rport\r\n"
           << "Max-Forwards: 70\r\nFrom: <sip:alice@" << host(sip_.external) << ">;tag=" << tag << "\r\n"
           << "To: <" << uri << ">\r\nCall-ID: " << call_id << "\r\nCSeq: 1 INVITE\r\n"
           << "Contact: " << contact("alice") << "\r\nContent-Type: application/sdp\r\n"
           << "Content-Length: " << sdp.size() << "\r\n\r\n"
           << sdp;
    print("sent", invite.str());
    if (!send(*target, invite.str())) return 1;
    for (;;) {
      const auto in = receive(timeout);
      if (!in) return fail("no final response to INVITE");
      const auto msg = sip_message::parse(in->second);
      if (!msg || msg->start.rfind("SIP/2.0 ", 0) != 0 || msg->header("call-id") != call_id) continue;
      print("received", in->second);
      if (msg->start.rfind("SIP/2.0 1", 0) == 0) continue;  // provisional
      if (msg->start.rfind("SIP/2.0 200", 0) != 0) return fail("call rejected: " + msg->start);
      // The 200 OK's SDP names the remote media address (the "200 OK SDP"
      // case of UpdateRemoteAddress): punch from our RTP socket towards it.
      if (const auto media = sdp_media(msg->body)) update_media_remote(*media);
      std::ostringstream ack;
      ack << "ACK " << uri << " SIP/2.0\r\nVia: SIP/2.0/UDP " << host(sip_.external) << ":" << sip_.external.port
          << ";branch=z9hG4bK" << token() << ";rport\r\nMax-Forwards: 70\r\n"
          << "From: " << msg->header("from") << "\r\nTo: " << msg->header("to") << "\r\nCall-ID: " << call_id
          << "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
      print("sent", ack.str());
      return send(in->first, ack.str()) ? 0 : 1;
    }
  }

  int answer(const ip_endpoint& listen, std::chrono::milliseconds timeout) {
    // StartListen: the external address of the listen port is our Contact.
    if (const auto ec = pm_->start_listen(listen, sip_)) return fail("StartListen: " + ec.message());
    std::printf("listening: internal %s, Contact %s\n", sip_.internal.to_string().c_str(), contact("bob").c_str());
    std::fflush(stdout);
    for (;;) {
      const auto in = receive(timeout);
      if (!in) return fail("no INVITE received");
      const auto msg = sip_message::parse(in->second);
      if (!msg || msg->start.rfind("INVITE ", 0) != 0) continue;
      print("received", in->second);
      if (!map_media(in->first)) return 1;
      if (const auto media = sdp_media(msg->body)) update_media_remote(*media);
      const std::string sdp = offer();
      std::ostringstream ok;
      ok << "SIP/2.0 200 OK\r\nVia: " << msg->header("via") << "\r\nFrom: " << msg->header("from")
         << "\r\nTo: " << msg->header("to") << ";tag=" << token() << "\r\nCall-ID: " << msg->header("call-id")
         << "\r\nCSeq: " << msg->header("cseq") << "\r\nContact: " << contact("bob")
         << "\r\nContent-Type: application/sdp\r\nContent-Length: " << sdp.size() << "\r\n\r\n"
         << sdp;
      print("sent", ok.str());
      if (!send(in->first, ok.str())) return 1;
      for (;;) {
        const auto ack = receive(timeout);
        if (!ack) return fail("no ACK");
        const auto a = sip_message::parse(ack->second);
        if (a && a->start.rfind("ACK ", 0) == 0) {
          print("received", ack->second);
          pm_->stop_listen(listen);
          return 0;
        }
      }
    }
  }

 private:
  bool map_all(const ip_endpoint& remote) {
    if (const auto ec = pm_->get_mapping(remote, port_type::sip, sip_))
      return fail("GetMapping(SIP): " + ec.message()) == 0;
    return map_media(remote);
  }
  bool map_media(const ip_endpoint& remote) {
    if (const auto ec = pm_->get_mapping(remote, port_type::audio_rtp, rtp_)) {
      return fail("GetMapping(AUDIO_RTP): " + ec.message()) == 0;
    }
    if (const auto ec = pm_->get_mapping(remote, port_type::audio_rtcp, rtcp_)) {
      return fail("GetMapping(AUDIO_RTCP): " + ec.message()) == 0;
    }
    std::printf("mappings: SIP %s -> %s, RTP %s -> %s, RTCP %s -> %s\n", sip_.internal.to_string().c_str(),
                sip_.external.to_string().c_str(), rtp_.internal.to_string().c_str(), rtp_.external.to_string().c_str(),
                rtcp_.internal.to_string().c_str(), rtcp_.external.to_string().c_str());
    return true;
  }
  void update_media_remote(const ip_endpoint& media) {
    const auto ec = pm_->update_remote_address(media, rtp_.internal, rtp_.external);
    std::printf("UpdateRemoteAddress(%s): %s\n", media.to_string().c_str(), ec ? ec.message().c_str() : "ok");
  }
  std::string contact(const char* user) const {
    return "<sip:" + std::string(user) + "@" + host(sip_.external) + ":" + std::to_string(sip_.external.port) + ">";
  }
  std::string offer() const {
    const auto& c = rtp_.external;
    std::ostringstream sdp;
    sdp << "v=0\r\no=- " << token() << " 1 IN " << ip_version(c) << " " << c.ip_string() << "\r\ns=pinhole\r\n"
        << "c=IN " << ip_version(c) << " " << c.ip_string() << "\r\nt=0 0\r\n"
        << "m=audio " << c.port << " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        << "a=rtcp:" << rtcp_.external.port << "\r\n";  // RFC 3605
    return sdp.str();
  }
  bool send(const ip_endpoint& to, const std::string& text) {
    const auto ec = pm_->send(sip_.internal, to, std::as_bytes(std::span(text.data(), text.size())));
    if (ec) std::fprintf(stderr, "send to %s: %s\n", to.to_string().c_str(), ec.message().c_str());
    return !ec;
  }
  std::optional<std::pair<ip_endpoint, std::string>> receive(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, timeout, [&] { return !inbox_.empty(); })) return std::nullopt;
    auto m = std::move(inbox_.front());
    inbox_.pop_front();
    return m;
  }
  static void print(const char* what, const std::string& msg) {
    std::printf("---- %s ----\n%s\n", what, msg.c_str());
    std::fflush(stdout);
  }
  static int fail(const std::string& why) {
    std::fprintf(stderr, "pinhole-example-ua: %s\n", why.c_str());
    return 1;
  }
  static int usage(const std::string& why) {
    std::fprintf(stderr, "pinhole-example-ua: %s\n", why.c_str());
    return 2;
  }

  port_manager* pm_ = nullptr;
  mapping sip_, rtp_, rtcp_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<ip_endpoint, std::string>> inbox_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1:3478", call_uri, listen_at;
  long timeout_ms = 5000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--server" && has_value) {
      server = argv[++i];
    } else if (a == "--call" && has_value) {
      call_uri = argv[++i];
    } else if (a == "--listen" && has_value) {
      listen_at = argv[++i];
    } else if (a == "--timeout" && has_value) {
      timeout_ms = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: pinhole-example-ua [--server IP:PORT] (--listen IP:PORT | --call sip:user@IP:PORT) "
                   "[--timeout MS]\n");
      return 2;
    }
  }
  if (call_uri.empty() == listen_at.empty() || timeout_ms <= 0) {
    std::fprintf(stderr, "pinhole-example-ua: give exactly one of --listen and --call (and a positive --timeout)\n");
    return 2;
  }
  sip_ua ua;
  options o;
  o.servers = {server};
  o.rtp_rtcp_pairs = true;
  o.on_datagram = [&ua](const mapping& m, const ip_endpoint& from, std::span<const std::byte> d) {
    ua.on_datagram(m, from, d);
  };
  std::error_code ec;
  auto pm = port_manager::create(o, ec);
  if (!pm) {
    std::fprintf(stderr, "pinhole-example-ua: %s: %s\n", server.c_str(), ec.message().c_str());
    return 1;
  }
  ua.set_port_manager(pm.get());  // IRTCSessionPortManagement::SetPortManager
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  if (!call_uri.empty()) return ua.call(call_uri, timeout);
  const auto listen = ip_endpoint::parse(listen_at);
  if (!listen) {
    std::fprintf(stderr, "pinhole-example-ua: --listen expects IP:PORT\n");
    return 2;
  }
  return ua.answer(*listen, timeout);
}
