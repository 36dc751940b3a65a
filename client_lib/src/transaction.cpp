// RFC 8489 §6.2.1 retransmission schedule.
#include "transaction.hpp"

#include "pinhole/errors.hpp"

namespace pinhole::client {

transaction::transaction(const transaction_options& opts, expectation expect) noexcept
    : opts_(opts), expect_(std::move(expect)) {
  if (opts_.rto <= std::chrono::milliseconds::zero()) opts_.rto = std::chrono::milliseconds(500);
  if (opts_.rc == 0) opts_.rc = 1;
  if (opts_.rm == 0) opts_.rm = 1;
}

transaction::step transaction::start(clock::time_point now) noexcept {
  // RFC 8489 §6.2.1: "A client SHOULD retransmit a STUN request message
  // starting with an interval of RTO ("Retransmission TimeOut"), doubling
  // after each retransmission."
  rto_ = opts_.rto;
  sent_ = 1;
  state_ = state::waiting;
  deadline_ = now + (opts_.rc == 1 ? opts_.rto * opts_.rm : rto_);
  return step::send;
}

transaction::step transaction::on_timer(clock::time_point now) noexcept {
  if (state_ == state::done) return step::done;
  if (state_ == state::failed) return step::failed;
  if (state_ != state::waiting || now < deadline()) return step::wait;
  if (now >= limit_) {
    // The caller's budget for this server is spent (limit()): fail over now
    // rather than wait for the full RFC 8489 schedule.
    state_ = state::failed;
    error_ = make_error_code(errc::timeout);
    return step::failed;
  }
  // RFC 8489 §6.2.1: "Retransmissions continue until a response is received
  // or until a total of Rc requests have been sent."
  if (sent_ >= opts_.rc) {
    // "If, after the last request, a duration equal to Rm times the RTO has
    // passed without a response [...], the client SHOULD consider the
    // transaction to have failed."
    state_ = state::failed;
    error_ = make_error_code(errc::timeout);
    return step::failed;
  }
  // Deadlines are computed from the previous deadline, not from `now`, so a
  // late timer does not stretch the schedule (0, 500, 1500, 3500, ... ms).
  const auto sent_at = deadline_;
  ++sent_;
  rto_ *= 2;
  deadline_ = sent_ == opts_.rc ? sent_at + opts_.rto * opts_.rm : sent_at + rto_;
  return step::send;
}

transaction::step transaction::on_datagram(std::span<const std::byte> data, const ip_endpoint& from) noexcept {
  if (state_ != state::waiting) return finished() ? (state_ == state::done ? step::done : step::failed) : step::wait;
  binding_result r;
  const auto v = validate_response(data, from, expect_, r);
  switch (v) {
    case verdict::not_ours: return step::wait;
    case verdict::rejected: ++rejected_; return step::wait;
    case verdict::accepted:
      result_ = std::move(r);
      state_ = state::done;
      return step::done;
  }
  return step::wait;
}

transaction::step transaction::on_unreachable() noexcept {
  if (state_ != state::waiting) return finished() ? (state_ == state::done ? step::done : step::failed) : step::wait;
  state_ = state::failed;
  error_ = make_error_code(errc::server_unreachable);
  return step::failed;
}

void transaction::cancel(std::error_code why) noexcept {
  if (finished()) return;
  state_ = state::failed;
  error_ = why;
}

}  // namespace pinhole::client
