// pinhole-probe argument parsing and help.
#include "cli.hpp"

#include <charconv>

namespace pinhole::probe {

std::string help_text() {
  return "Usage: pinhole-probe [--server host[:port]] [--json] [--behavior] [--timeout MS] [--local ADDR:PORT]\n"
         "                     [--username U --password P] [--help] [--version]\n"
         "Asks a STUN server (RFC 8489) for this host's mapped address and, with --behavior,\n"
         "classifies the NAT (RFC 5780 mapping/filtering, hairpinning, port preservation,\n"
         "and the classic RFC 3489 name).\n"
         "\n"
         "  --server host[:port]  STUN server (default 127.0.0.1:3478); a name without a port\n"
         "                        is looked up as _stun._udp SRV first, then A/AAAA\n"
         "  --json                one JSON object on stdout with the keys local, mapped, server,\n"
         "                        nat {mapping, filtering, hairpinning, port_preservation, classic},\n"
         "                        behind_nat\n"
         "  --behavior            run the RFC 5780 behaviour tests (needs a server with an\n"
         "                        alternate address, i.e. OTHER-ADDRESS)\n"
         "  --timeout MS          limit per test, 1-600000 (default 3000); tests that expect no\n"
         "                        answer wait this long\n"
         "  --portmap             also ask the gateways for a test port mapping with PCP and\n"
         "                        NAT-PMP: which answered, the external address and the lease\n"
         "                        (JSON: key portmap, a list); the test mapping is deleted\n"
         "  --gateway IP[:PORT]   gateway to ask (repeatable; default: the default routes)\n"
         "  --local ADDR:PORT     local address to bind (default: the route source, any port)\n"
         "  --username, --password  credentials: short-term, or long-term after a 401 with REALM\n"
         "\n"
         "Exit status:\n"
         "  0  the server answered; the mapping (and behaviour) was printed\n"
         "  1  no usable response: timeout, ICMP unreachable, only invalid replies, or the\n"
         "     server name did not resolve\n"
         "  2  usage error (bad option or value)\n"
         "  3  the server answered with an error response (e.g. 401 Unauthorized)\n";
}

std::optional<settings> parse_args(const std::vector<std::string>& args, std::string& error) {
  settings s;
  s.discovery.behavior = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) -> const std::string* {
      if (i + 1 >= args.size()) {
        error = std::string(name) + " needs a value";
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "--help" || a == "-h") {
      s.help = true;
    } else if (a == "--version" || a == "-V") {
      s.version = true;
    } else if (a == "--json") {
      s.json = true;
    } else if (a == "--portmap") {
      s.portmap = true;
    } else if (a == "--gateway") {
      const auto* v = value("--gateway");
      if (v == nullptr) return std::nullopt;
      s.gateways.push_back(*v);
    } else if (a == "--behavior" || a == "--behaviour") {
      s.discovery.behavior = true;
    } else if (a == "--server") {
      const auto* v = value("--server");
      if (v == nullptr) return std::nullopt;
      if (v->empty()) {
        error = "--server: empty";
        return std::nullopt;
      }
      s.discovery.server = *v;
    } else if (a == "--local") {
      const auto* v = value("--local");
      if (v == nullptr) return std::nullopt;
      if (!ip_endpoint::parse(*v, true)) {
        error = "--local: expected ADDR[:PORT] with an IP address, got \"" + *v + "\"";
        return std::nullopt;
      }
      s.discovery.local = *v;
    } else if (a == "--timeout") {
      const auto* v = value("--timeout");
      if (v == nullptr) return std::nullopt;
      unsigned ms = 0;
      const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
      if (ec != std::errc{} || ptr != v->data() + v->size() || ms == 0 || ms > 600000) {
        error = "--timeout: expected milliseconds 1-600000, got \"" + *v + "\"";
        return std::nullopt;
      }
      s.discovery.timeout = std::chrono::milliseconds(ms);
    } else if (a == "--username" || a == "--password") {
      const auto* v = value(a.c_str());
      if (v == nullptr) return std::nullopt;
      if (!s.discovery.auth) s.discovery.auth = credentials{};
      (a == "--username" ? s.discovery.auth->username : s.discovery.auth->password) = *v;
    } else {
      error = "unknown option \"" + a + "\"";
      return std::nullopt;
    }
  }
  return s;
}

}  // namespace pinhole::probe
