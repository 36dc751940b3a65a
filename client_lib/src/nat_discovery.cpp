// RFC 5780 §4 NAT behaviour discovery on the caller's thread.
#include <unistd.h>

#include <vector>

#include "binding.hpp"
#include "caught_error.hpp"
#include "pinhole/errors.hpp"
#include "pinhole/nat.hpp"
#include "random.hpp"
#include "resolver.hpp"
#include "server_list.hpp"
#include "sync_client.hpp"
#include "udp_io.hpp"

namespace pinhole {

namespace {

using client::binding_result;
using client::sync_request;

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

ip_endpoint with_port(ip_endpoint e, std::uint16_t port) {
  e.port = port;
  return e;
}

std::error_code open_bound(ip_family fam, const ip_endpoint& local, fd_guard& g) {
  std::error_code ec;
  g.fd = client::open_udp(fam, ec);
  if (g.fd < 0) return make_error_code(errc::socket_error);
  if (client::bind_udp(g.fd, local)) return make_error_code(errc::address_in_use);
  return {};
}

}  // namespace

std::error_code discover_nat(const discovery_options& opts, nat_report& out) noexcept {
  try {
    out = nat_report{};
    client::system_resolver dns;
    std::vector<ip_endpoint> servers;
    if (auto ec = client::resolve_servers({opts.server}, true, dns, servers)) return ec;

    std::optional<ip_endpoint> local;
    if (!opts.local.empty()) {
      local = ip_endpoint::parse(opts.local, true);
      if (!local) return make_error_code(errc::invalid_argument);
    }
    sync_request req;
    req.tx = opts.transaction;
    req.auth = opts.auth;
    client::long_term challenge;  // a long-term server's challenge, answered once for all tests
    req.challenge = &challenge;
    req.cap = opts.timeout;

    // Test I (RFC 5780 §4.3): a plain Binding request to the primary address.
    // Each resolved address is tried in turn until one answers.
    std::error_code ec = make_error_code(errc::no_servers);
    fd_guard sock;
    binding_result r1;
    for (const auto& server : servers) {
      if (local && local->family != server.family) continue;
      fd_guard g;
      ip_endpoint bind_to = local ? *local : ip_endpoint::any(server.family);
      if (bind_to.is_unspecified()) {
        if (const auto src = client::route_source(server)) bind_to = with_port(*src, bind_to.port);
      }
      if ((ec = open_bound(server.family, bind_to, g))) return ec;
      req.to = req.expected_source = server;
      ec = client::sync_binding(g.fd, server.family, req, r1);
      if (!ec) {
        std::swap(sock.fd, g.fd);
        out.server = server;
        break;
      }
      if (ec == errc::server_error || ec == errc::integrity_failure) return ec;  // a live server said no
    }
    if (ec) {
      // RFC 3489 §10.1: no answer to test I "means that the client's UDP
      // connectivity is blocked".
      if (ec == errc::timeout || ec == errc::server_unreachable) out.classic = classic_nat::udp_blocked;
      return ec;
    }
    const auto fam = out.server.family;
    out.local = *client::local_endpoint(sock.fd);
    out.mapped = r1.mapped;
    out.other = r1.other;
    // RFC 5780 §4.3: a mapped address equal to the local address means
    // there is no NAT.
    out.behind_nat = !(out.mapped == out.local);
    out.port_preservation = out.mapped.port == out.local.port ? tristate::yes : tristate::no;

    if (opts.behavior) {
      // Mapping and filtering need an alternate IP *and* port (RFC 5780
      // §4.3); same-IP alternates cannot tell address-dependent behaviour
      // apart.
      const bool usable = out.other && !out.other->same_ip(out.server) && out.other->port != out.server.port;
      if (usable) {
        const auto& other = *out.other;
        // §4.3 test II: "the client sends a Binding Request to the alternate
        // address, but primary port".
        binding_result r2;
        req.to = req.expected_source = with_port(other, out.server.port);
        if (!client::sync_binding(sock.fd, fam, req, r2)) {
          if (r2.mapped == out.mapped) {
            // "If the XOR-MAPPED-ADDRESS in the Binding Response is the same
            // as test I, the NAT currently has Endpoint-Independent Mapping."
            out.mapping = nat_mapping::endpoint_independent;
          } else {
            // §4.3 test III: to the alternate address and alternate port.
            binding_result r3;
            req.to = req.expected_source = other;
            if (!client::sync_binding(sock.fd, fam, req, r3)) {
              out.mapping = r3.mapped == r2.mapped ? nat_mapping::address_dependent
                                                   : nat_mapping::address_and_port_dependent;
            }
          }
        }
        // §4.4 test II: "the client sends a Binding Request to the primary
        // address of the server with the CHANGE-REQUEST attribute set to
        // change-port and change-IP. This will cause the server to send its
        // response from its alternate IP address and alternate port."
        binding_result f;
        req.to = out.server;
        req.expected_source = other;
        req.change_ip = req.change_port = true;
        const auto f2 = client::sync_binding(sock.fd, fam, req, f);
        if (!f2) {
          out.filtering = nat_filtering::endpoint_independent;
        } else if (f2 == errc::timeout || f2 == errc::bad_response) {
          // §4.4 test III: CHANGE-REQUEST with change-port only, answered
          // from the primary IP and alternate port.
          req.change_ip = false;
          req.expected_source = with_port(out.server, other.port);
          const auto f3 = client::sync_binding(sock.fd, fam, req, f);
          if (!f3) {
            out.filtering = nat_filtering::address_dependent;
          } else if (f3 == errc::timeout || f3 == errc::bad_response) {
            out.filtering = nat_filtering::address_and_port_dependent;
          }
        }
        req.change_ip = req.change_port = false;
      }
      // §4.5 hairpinning: a Binding request from a second socket to the
      // first socket's mapped address; if the first socket receives it, the
      // NAT hairpins.
      fd_guard second;
      if (!open_bound(fam, with_port(out.local, 0), second)) {
        std::vector<std::byte> probe;
        client::request_spec spec;
        spec.txid = client::new_transaction_id();
        if (!client::build_binding_request(spec, probe) && !client::send_udp(second.fd, probe, out.mapped)) {
          const auto wait = std::min<std::chrono::milliseconds>(opts.timeout, std::chrono::milliseconds(1000));
          out.hairpinning = client::wait_for_request(sock.fd, spec.txid, wait) ? tristate::yes : tristate::no;
        }
      }
    }
    out.classic = classify(true, out.behind_nat, out.mapping, out.filtering);
    return {};
  } catch (...) {
    return client::caught_error();
  }
}

}  // namespace pinhole
