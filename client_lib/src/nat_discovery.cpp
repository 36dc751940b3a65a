// RFC 5780 §4 NAT behaviour discovery on the caller's thread: test I, then
// the mapping tests, the filtering tests and the hairpinning test, one
// function each (as pion's stun-nat-behaviour splits mappingTests and
// filteringTests).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
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

// Every Binding transaction after the first goes out on test I's socket,
// with the caller's credentials, long-term challenge and time cap.
struct nat_tester {
  fd_guard sock;
  ip_family fam = ip_family::v4;
  sync_request req;

  std::error_code binding(const ip_endpoint& to, const ip_endpoint& from, bool change_ip, bool change_port,
                          binding_result& r) {
    req.to = to;
    req.expected_source = from;
    req.change_ip = change_ip;
    req.change_port = change_port;
    return client::sync_binding(sock.fd, fam, req, r);
  }
};

// Test I (RFC 5780 §4.3): a plain Binding request to the primary address.
// Each resolved address is tried in turn until one answers; the socket that
// got the answer becomes the tester's.
std::error_code test_one(const std::vector<ip_endpoint>& servers, const std::optional<ip_endpoint>& local,
                         nat_tester& t, binding_result& r1, ip_endpoint& answered_by) {
  std::error_code ec = make_error_code(errc::no_servers);
  for (const auto& server : servers) {
    if (local && local->family != server.family) continue;
    fd_guard g;
    ip_endpoint bind_to = local ? *local : ip_endpoint::any(server.family);
    if (bind_to.is_unspecified()) {
      if (const auto src = client::route_source(server)) bind_to = with_port(*src, bind_to.port);
    }
    if ((ec = open_bound(server.family, bind_to, g))) return ec;
    t.req.to = t.req.expected_source = server;
    ec = client::sync_binding(g.fd, server.family, t.req, r1);
    if (!ec) {
      std::swap(t.sock.fd, g.fd);
      t.fam = server.family;
      answered_by = server;
      return ec;
    }
    if (ec == errc::server_error || ec == errc::integrity_failure) return ec;  // a live server said no
  }
  return ec;
}

// Mapping and filtering need an alternate IP *and* port (RFC 5780 §4.3);
// same-IP alternates cannot tell address-dependent behaviour apart.
bool usable_alternate(const nat_report& out) {
  return out.other && !out.other->same_ip(out.server) && out.other->port != out.server.port;
}

// RFC 5780 §4.3, tests II and III: the mapping behaviour.
nat_mapping mapping_tests(nat_tester& t, const nat_report& out) {
  const auto& other = *out.other;
  // §4.3 test II: "the client sends a Binding Request to the alternate
  // address, but primary port".
  binding_result r2;
  const ip_endpoint alternate_ip = with_port(other, out.server.port);
  if (t.binding(alternate_ip, alternate_ip, false, false, r2)) return nat_mapping::unknown;
  // "If the XOR-MAPPED-ADDRESS in the Binding Response is the same as test
  // I, the NAT currently has Endpoint-Independent Mapping."
  if (r2.mapped == out.mapped) return nat_mapping::endpoint_independent;
  // §4.3 test III: to the alternate address and alternate port.
  binding_result r3;
  if (t.binding(other, other, false, false, r3)) return nat_mapping::unknown;
  return r3.mapped == r2.mapped ? nat_mapping::address_dependent : nat_mapping::address_and_port_dependent;
}

bool no_answer(std::error_code ec) { return ec == errc::timeout || ec == errc::bad_response; }

// RFC 5780 §4.4, tests II and III: the filtering behaviour.
nat_filtering filtering_tests(nat_tester& t, const nat_report& out) {
  const auto& other = *out.other;
  // §4.4 test II: "the client sends a Binding Request to the primary
  // address of the server with the CHANGE-REQUEST attribute set to
  // change-port and change-IP. This will cause the server to send its
  // response from its alternate IP address and alternate port."
  binding_result f;
  const auto f2 = t.binding(out.server, other, true, true, f);
  if (!f2) return nat_filtering::endpoint_independent;
  if (!no_answer(f2)) return nat_filtering::unknown;
  // §4.4 test III: CHANGE-REQUEST with change-port only, answered from the
  // primary IP and alternate port.
  const auto f3 = t.binding(out.server, with_port(out.server, other.port), false, true, f);
  if (!f3) return nat_filtering::address_dependent;
  return no_answer(f3) ? nat_filtering::address_and_port_dependent : nat_filtering::unknown;
}

// RFC 5780 §4.5 hairpinning: a Binding request from a second socket to the
// first socket's mapped address; if the first socket receives it, the NAT
// hairpins.
tristate hairpinning_test(const nat_tester& t, const nat_report& out, std::chrono::milliseconds timeout) {
  fd_guard second;
  if (open_bound(t.fam, with_port(out.local, 0), second)) return tristate::unknown;
  std::vector<std::byte> probe;
  client::request_spec spec;
  spec.txid = client::new_transaction_id();
  if (client::build_binding_request(spec, probe) || client::send_udp(second.fd, probe, out.mapped)) {
    return tristate::unknown;
  }
  const auto wait = std::min<std::chrono::milliseconds>(timeout, std::chrono::milliseconds(1000));
  return client::wait_for_request(t.sock.fd, spec.txid, wait) ? tristate::yes : tristate::no;
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
    nat_tester t;
    t.req.tx = opts.transaction;
    t.req.auth = opts.auth;
    client::long_term challenge;  // a long-term server's challenge, answered once for all tests
    t.req.challenge = &challenge;
    t.req.cap = opts.timeout;

    binding_result r1;
    if (auto ec = test_one(servers, local, t, r1, out.server)) {
      // RFC 3489 §10.1: no answer to test I "means that the client's UDP
      // connectivity is blocked".
      if (ec == errc::timeout || ec == errc::server_unreachable) out.classic = classic_nat::udp_blocked;
      return ec;
    }
    out.local = *client::local_endpoint(t.sock.fd);
    out.mapped = r1.mapped;
    out.other = r1.other;
    // RFC 5780 §4.3: a mapped address equal to the local address means
    // there is no NAT.
    out.behind_nat = !(out.mapped == out.local);
    out.port_preservation = out.mapped.port == out.local.port ? tristate::yes : tristate::no;
    if (opts.behavior) {
      if (usable_alternate(out)) {
        out.mapping = mapping_tests(t, out);
        out.filtering = filtering_tests(t, out);
      }
      out.hairpinning = hairpinning_test(t, out, opts.timeout);
    }
    out.classic = classify(true, out.behind_nat, out.mapping, out.filtering);
    return {};
  } catch (...) {
    return client::caught_error();
  }
}

}  // namespace pinhole
