// poll(2)-driven Binding transactions.
#include "sync_client.hpp"

#include <poll.h>

#include <algorithm>
#include <vector>

#include "caught_error.hpp"
#include "pinhole/errors.hpp"
#include "random.hpp"
#include "stun/reader.hpp"
#include "transaction.hpp"
#include "udp_io.hpp"

namespace pinhole::client {

namespace {

int ms_until(clock::time_point t) noexcept {
  const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock::now()).count();
  return static_cast<int>(std::clamp<long long>(d + 1, 0, 60000));
}

bool readable(int fd, clock::time_point until) noexcept {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms_until(until)) > 0;
}

// Reads what the socket holds into the transaction until it is no longer
// waiting or nothing is left; ICMP unreachable counts only from the server
// (or unattributed).
transaction::step read_answers(int fd, std::vector<std::byte>& buf, const ip_endpoint& to, transaction& tx) {
  auto s = transaction::step::wait;
  while (s == transaction::step::wait) {
    const auto r = receive_udp(fd, buf);
    if (r.kind == received::datagram) {
      s = tx.on_datagram(std::span<const std::byte>(buf).first(r.size), r.peer);
    } else if (r.kind == received::unreachable) {
      if (r.peer.port == 0 || r.peer == to) s = tx.on_unreachable();
    } else {
      break;
    }
  }
  return s;
}

std::error_code sync_binding_once(int fd, ip_family fam, const sync_request& req, const std::optional<long_term>& lt,
                                  binding_result& out) noexcept {
  try {
    request_spec spec;
    spec.txid = new_transaction_id();
    spec.change_ip = req.change_ip;
    spec.change_port = req.change_port;
    spec.auth = req.auth ? &*req.auth : nullptr;
    spec.challenge = lt ? &*lt : nullptr;
    std::vector<std::byte> request;
    if (build_binding_request(spec, request)) return make_error_code(errc::invalid_argument);
    expectation e;
    e.txid = spec.txid;
    e.source = req.expected_source;
    e.socket_family = fam;
    e.auth = req.auth;
    e.challenge = lt;
    transaction tx(req.tx, e);
    const auto end = clock::now() + req.cap;
    std::vector<std::byte> buf(65536);
    auto s = tx.start(clock::now());
    for (;;) {
      if (s == transaction::step::send) {
        if (const auto ec = send_udp(fd, request, req.to); ec) {
          return make_error_code(ec == std::errc::network_unreachable || ec == std::errc::host_unreachable
                                     ? errc::server_unreachable
                                     : errc::socket_error);
        }
        s = transaction::step::wait;
      }
      if (s == transaction::step::done) {
        out = tx.result();
        if (out.success) return {};
        return make_error_code(out.error_code == 401 ? errc::integrity_failure : errc::server_error);
      }
      if (s == transaction::step::failed) {
        if (tx.error() == errc::timeout && tx.rejected() > 0) return make_error_code(errc::bad_response);
        return tx.error();
      }
      if (clock::now() >= end) {
        return make_error_code(tx.rejected() > 0 ? errc::bad_response : errc::timeout);
      }
      if (readable(fd, std::min(tx.deadline(), end))) s = read_answers(fd, buf, req.to, tx);
      if (s == transaction::step::wait) s = tx.on_timer(clock::now());
    }
  } catch (...) {
    return caught_error();
  }
}

}  // namespace

std::error_code sync_binding(int fd, ip_family fam, const sync_request& req, binding_result& out) noexcept {
  std::optional<long_term> lt;
  if (req.auth && req.challenge != nullptr && !req.challenge->nonce.empty()) lt = *req.challenge;
  for (int retries = 0;; ++retries) {
    out = binding_result{};  // a timeout must not look like the previous attempt's challenge
    const auto ec = sync_binding_once(fd, fam, req, lt, out);
    // Answer a challenge as mapped_socket does (binding.hpp, is_new_challenge).
    if (!ec || !req.auth || retries == max_challenge_retries || !is_new_challenge(out, lt)) return ec;
    lt = out.challenge;
    if (req.challenge != nullptr) *req.challenge = *lt;
  }
}

bool wait_for_request(int fd, const txid_t& txid, std::chrono::milliseconds timeout) noexcept {
  const auto end = clock::now() + timeout;
  std::vector<std::byte> buf(2048);
  while (clock::now() < end) {
    if (!readable(fd, end)) continue;
    for (;;) {
      const auto r = receive_udp(fd, buf);
      if (r.kind == received::would_block || r.kind == received::error) break;
      if (r.kind != received::datagram) continue;
      stun::message_view m;
      if (stun::message_view::parse(std::span<const std::byte>(buf).first(r.size), m)) continue;
      const auto id = m.transaction_id();
      if (m.type() == stun::binding_request && std::equal(id.begin(), id.end(), txid.begin())) return true;
    }
  }
  return false;
}

}  // namespace pinhole::client
