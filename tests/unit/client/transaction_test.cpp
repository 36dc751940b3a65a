// The RFC 8489 §6.2.1 retransmission state machine, driven by a fake clock.
#include "transaction.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "pinhole/errors.hpp"
#include "stun_replies.hpp"

using namespace pinhole;
using namespace pinhole::client;
using std::chrono::milliseconds;

namespace {

const ip_endpoint server = test::ep("192.0.2.1:3478");

expectation expect_from(const ip_endpoint& src, std::uint8_t seed = 1) {
  expectation e;
  e.txid = test::txid(seed);
  e.source = src;
  return e;
}

// Runs a transaction that never gets an answer, firing the timer exactly at
// each deadline; returns the send times relative to start and the failure time.
struct run_result {
  std::vector<long long> sends;
  long long failed_at = -1;
};
run_result run_silent(const transaction_options& o, std::optional<milliseconds> limit = std::nullopt) {
  const clock::time_point t0{};  // fake clock: only differences matter
  transaction tx(o, expect_from(server));
  if (limit) tx.limit(t0 + *limit);
  run_result r;
  auto s = tx.start(t0);
  auto now = t0;
  for (int guard = 0; guard < 100; ++guard) {
    if (s == transaction::step::send) r.sends.push_back(std::chrono::duration_cast<milliseconds>(now - t0).count());
    if (s == transaction::step::failed) {
      r.failed_at = std::chrono::duration_cast<milliseconds>(now - t0).count();
      EXPECT_EQ(tx.error(), errc::timeout);
      return r;
    }
    // Just before the deadline nothing happens.
    EXPECT_EQ(tx.on_timer(tx.deadline() - std::chrono::nanoseconds(1)), transaction::step::wait);
    now = tx.deadline();
    s = tx.on_timer(now);
  }
  ADD_FAILURE() << "transaction never ended";
  return r;
}

}  // namespace

TEST(Transaction, DefaultScheduleIsRfc8489Example) {
  // RFC 8489 §6.2.1: "requests would be sent at times 0 ms, 500 ms, 1500 ms,
  // 3500 ms, 7500 ms, 15500 ms, and 31500 ms. If the client has not received
  // a response after 39500 ms, the client will consider the transaction to
  // have timed out."
  transaction_options o;
  o.rto = milliseconds(500);  // the RFC's example value (libpinhole's default is shorter, see options.hpp)
  const auto r = run_silent(o);
  EXPECT_EQ(r.sends, (std::vector<long long>{0, 500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(r.failed_at, 39500);
}

TEST(Transaction, RtoRcRmAreConfigurable) {
  transaction_options o;
  o.rto = milliseconds(100);
  o.rc = 3;
  o.rm = 4;
  const auto r = run_silent(o);
  EXPECT_EQ(r.sends, (std::vector<long long>{0, 100, 300}));
  EXPECT_EQ(r.failed_at, 300 + 4 * 100);  // Rm * RTO after the last request
}

TEST(Transaction, LimitEndsItAtTheCallersBudget) {
  transaction_options o;
  o.rto = milliseconds(100);
  const auto r = run_silent(o, milliseconds(1000));
  EXPECT_EQ(r.sends, (std::vector<long long>{0, 100, 300, 700}));
  EXPECT_EQ(r.failed_at, 1000);  // not 39.5 s: fail over to the next server now
}

TEST(Transaction, DefaultsRetransmitAtLeastTwiceWithinEachServersShare) {
  // Two servers share the default GetMapping budget (minus the caller's
  // margin): each still gets three transmissions, one server alone four.
  const options defaults;
  const auto budget = defaults.call_timeout - milliseconds(20);
  const auto half = run_silent(defaults.transaction, budget / 2);
  EXPECT_GE(half.sends.size(), 3U);
  const auto whole = run_silent(defaults.transaction, budget);
  EXPECT_GE(whole.sends.size(), 4U);
}

TEST(Transaction, SingleTransmissionWaitsRmTimesRto) {
  transaction_options o;
  o.rto = milliseconds(500);
  o.rc = 1;
  const auto r = run_silent(o);
  EXPECT_EQ(r.sends, (std::vector<long long>{0}));
  EXPECT_EQ(r.failed_at, 16 * 500);
}

TEST(Transaction, LateTimerDoesNotStretchTheSchedule) {
  const clock::time_point t0{};
  transaction_options o;
  o.rto = milliseconds(500);
  transaction tx(o, expect_from(server));
  tx.start(t0);
  // The first timer fires 200 ms late; the next deadline still is 1500 ms.
  EXPECT_EQ(tx.on_timer(t0 + milliseconds(700)), transaction::step::send);
  EXPECT_EQ(tx.deadline(), t0 + milliseconds(1500));
  EXPECT_EQ(tx.transmissions(), 2U);
}

TEST(Transaction, ValidResponseCompletesWithTheMapping) {
  const clock::time_point t0{};
  transaction tx(transaction_options{}, expect_from(server, 9));
  tx.start(t0);
  test::reply rep;
  rep.txid = test::txid(9);
  rep.xor_mapped = test::ep("203.0.113.7:40000");
  EXPECT_EQ(tx.on_datagram(rep.bytes(), server), transaction::step::done);
  EXPECT_TRUE(tx.finished());
  EXPECT_FALSE(tx.error());
  EXPECT_TRUE(tx.result().success);
  EXPECT_EQ(tx.result().mapped, test::ep("203.0.113.7:40000"));
  // A finished transaction ignores its timer.
  EXPECT_EQ(tx.on_timer(t0 + milliseconds(100000)), transaction::step::done);
}

TEST(Transaction, ForeignAndForgedRepliesDoNotEndIt) {
  const clock::time_point t0{};
  transaction tx(transaction_options{}, expect_from(server, 3));
  tx.start(t0);
  test::reply other_tx;
  other_tx.txid = test::txid(4);
  other_tx.xor_mapped = test::ep("198.51.100.1:1");
  EXPECT_EQ(tx.on_datagram(other_tx.bytes(), server), transaction::step::wait);
  EXPECT_EQ(tx.rejected(), 0U);  // simply not ours

  test::reply forged;
  forged.txid = test::txid(3);
  forged.xor_mapped = test::ep("198.51.100.1:1");
  EXPECT_EQ(tx.on_datagram(forged.bytes(), test::ep("192.0.2.99:3478")), transaction::step::wait);
  EXPECT_EQ(tx.rejected(), 1U);  // our ID from the wrong source

  const std::vector<std::byte> garbage(40, std::byte{0xFF});
  EXPECT_EQ(tx.on_datagram(garbage, server), transaction::step::wait);

  test::reply good;
  good.txid = test::txid(3);
  good.xor_mapped = test::ep("203.0.113.7:40000");
  EXPECT_EQ(tx.on_datagram(good.bytes(), server), transaction::step::done);
  EXPECT_EQ(tx.result().mapped, test::ep("203.0.113.7:40000"));
}

TEST(Transaction, ErrorResponseIsAFinalAnswer) {
  transaction tx(transaction_options{}, expect_from(server, 5));
  tx.start(clock::time_point{});
  test::reply rep;
  rep.type = stun::binding_error;
  rep.txid = test::txid(5);
  rep.error = 420;
  EXPECT_EQ(tx.on_datagram(rep.bytes(), server), transaction::step::done);
  EXPECT_FALSE(tx.result().success);
  EXPECT_EQ(tx.result().error_code, 420);
}

TEST(Transaction, IcmpUnreachableFailsAtOnce) {
  transaction tx(transaction_options{}, expect_from(server));
  tx.start(clock::time_point{});
  EXPECT_EQ(tx.on_unreachable(), transaction::step::failed);
  EXPECT_EQ(tx.error(), errc::server_unreachable);
  EXPECT_EQ(tx.transmissions(), 1U);
}

TEST(Transaction, CancelEndsItWithTheGivenReason) {
  transaction tx(transaction_options{}, expect_from(server));
  tx.start(clock::time_point{});
  tx.cancel(make_error_code(errc::shutting_down));
  EXPECT_TRUE(tx.finished());
  EXPECT_EQ(tx.error(), errc::shutting_down);
  EXPECT_EQ(tx.on_timer(clock::time_point{} + milliseconds(600)), transaction::step::failed);
}

TEST(Transaction, NonsenseOptionsFallBackToSafeValues) {
  transaction_options o;
  o.rto = milliseconds(0);
  o.rc = 0;
  o.rm = 0;
  const auto r = run_silent(o);
  EXPECT_EQ(r.sends, (std::vector<long long>{0}));
  EXPECT_EQ(r.failed_at, 500);
}
