#include "options.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "stun/sockaddr.hpp"

namespace pinhole::bench {
namespace {

bool parse_u64(const std::string& text, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool parse_seconds(const std::string& text, double& out) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end || !std::isfinite(v) || v <= 0 || v > 3600) return false;
  out = v;
  return true;
}

}  // namespace

std::string help_text() {
  return "usage: pinhole-bench --server HOST:PORT [--rate REQ_PER_S] [--duration SECONDS] [--json]\n"
         "                     [--sockets N] [--batch N] [--drain-ms MS] [--fingerprint] [--busy-poll]\n"
         "                     [--xdp-receive IFACE]\n"
         "\n"
         "Offers STUN Binding requests to any STUN server at a fixed rate (open loop:\n"
         "requests leave on schedule whether or not earlier ones were answered), from\n"
         "many source ports with sendmmsg, and validates every response (transaction\n"
         "ID, XOR-MAPPED-ADDRESS equal to the source address of the request).\n"
         "\n"
         "  --server HOST:PORT  target, e.g. 127.0.0.1:3478 or [::1]:3478 (required)\n"
         "  --rate N            requests per second, 0 = as fast as possible (default 10000)\n"
         "  --duration S        seconds of sending (default 5, at most 3600)\n"
         "  --sockets N         source ports, 1-1024 (default 64)\n"
         "  --batch N           most requests per sendmmsg, 1-1024 (default 16)\n"
         "  --drain-ms MS       wait for late answers after the last send (default 500)\n"
         "  --fingerprint       add FINGERPRINT to every request\n"
         "  --busy-poll         never sleep between sends (one core at 100 %): answers then\n"
         "                      never have to wake the generator, so the server's CPU time\n"
         "                      does not include waking it up (use with a pinned core)\n"
         "  --xdp-receive IFACE receive the answers in XDP on IFACE (root; Linux >= 5.18):\n"
         "                      checked, time-stamped and dropped in the driver, so they\n"
         "                      never take the generator's socket path (skb, UDP, socket\n"
         "                      queue, recvmmsg) and latency ends as an answer reaches\n"
         "                      IFACE. IFACE's XDP program, if any, is replaced for the\n"
         "                      run and put back after it\n"
         "  --json              one JSON object instead of text\n"
         "\n"
         "Reports sent, answered, lost (= sent - answered after the drain), rates and\n"
         "round-trip latency percentiles, measured from the moment of each request's\n"
         "sendmmsg call to the return of the recvmmsg call that read its answer\n"
         "(with --xdp-receive: to the XDP program's receive time stamp).\n"
         "Exit codes: 0 ok, 1 no valid response at all, 2 usage error.\n";
}

std::optional<options> parse_args(const std::vector<std::string>& args, std::string& error) {
  options o;
  bool have_server = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& v) {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      v = args[++i];
      return true;
    };
    std::string v;
    std::uint64_t n = 0;
    if (a == "--help" || a == "-h") {
      o.help = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--fingerprint") {
      o.fingerprint = true;
    } else if (a == "--busy-poll") {
      o.busy_poll = true;
    } else if (a == "--xdp-receive") {
      if (!value(o.xdp_receive)) return std::nullopt;
      if (o.xdp_receive.empty()) {
        error = "--xdp-receive: expected an interface name";
        return std::nullopt;
      }
    } else if (a == "--server") {
      if (!value(o.server)) return std::nullopt;
      have_server = true;
    } else if (a == "--rate") {
      if (!value(v)) return std::nullopt;
      if (!parse_u64(v, 0, 100'000'000, o.rate)) {
        error = "--rate: expected requests per second, 0-100000000";
        return std::nullopt;
      }
    } else if (a == "--duration") {
      if (!value(v)) return std::nullopt;
      if (!parse_seconds(v, o.duration_s)) {
        error = "--duration: expected seconds, > 0 and <= 3600";
        return std::nullopt;
      }
    } else if (a == "--sockets" || a == "--batch") {
      if (!value(v)) return std::nullopt;
      if (!parse_u64(v, 1, 1024, n)) {
        error = a + ": expected an integer 1-1024";
        return std::nullopt;
      }
      (a == "--sockets" ? o.sockets : o.batch) = static_cast<unsigned>(n);
    } else if (a == "--drain-ms") {
      if (!value(v)) return std::nullopt;
      if (!parse_u64(v, 0, 60'000, n)) {
        error = "--drain-ms: expected milliseconds, 0-60000";
        return std::nullopt;
      }
      o.drain_ms = static_cast<unsigned>(n);
    } else {
      error = "unknown argument: " + a;
      return std::nullopt;
    }
  }
  if (!have_server && !o.help) {
    error = "--server HOST:PORT is required";
    return std::nullopt;
  }
  return o;
}

bool resolve_server(const std::string& text, stun::transport_address& out, std::string& error) {
  if (auto a = stun::transport_address::parse(text)) {
    out = *a;
    return true;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    error = "--server: expected HOST:PORT, got \"" + text + "\"";
    return false;
  }
  const std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0 || res == nullptr) {
    error = "--server: cannot resolve " + host + ": " + ::gai_strerror(rc);
    return false;
  }
  stun::transport_address a;
  bool ok = false;
  for (const addrinfo* r = res; r != nullptr && !ok; r = r->ai_next) ok = stun::from_sockaddr(r->ai_addr, a);
  ::freeaddrinfo(res);
  if (!ok) {
    error = "--server: no IPv4/IPv6 address for " + host;
    return false;
  }
  out = a;
  return true;
}

}  // namespace pinhole::bench
