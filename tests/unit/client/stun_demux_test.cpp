// RFC 7983 demultiplexing and the registry of transactions in flight on
// application-owned sockets.
#include "stun_demux.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "stun/writer.hpp"
#include "stun_replies.hpp"

using namespace pinhole;
using namespace pinhole::client;

namespace {

std::vector<std::byte> binding_response(const txid_t& id) {
  std::vector<std::byte> out(64);
  stun::message_writer w(out);
  w.begin(stun::binding_success, std::span<const std::byte, 12>(id));
  out.resize(w.size());
  return out;
}

}  // namespace

TEST(StunDemux, FirstByteRangesOfRfc7983) {
  for (unsigned b = 0; b < 256; ++b) {
    const std::array<std::byte, 1> d{std::byte(b)};
    EXPECT_EQ(is_stun_first_byte(d), b <= 3) << b;  // 128..191 RTP/RTCP, 20..63 DTLS, ...
  }
  EXPECT_FALSE(is_stun_first_byte({}));
}

TEST(StunDemux, TransactionIdNeedsAStunHeader) {
  const auto id = test::txid(9);
  auto msg = binding_response(id);
  ASSERT_EQ(stun_transaction_id(msg), id);
  auto bad_cookie = msg;
  bad_cookie[4] = std::byte{0};
  EXPECT_FALSE(stun_transaction_id(bad_cookie));
  auto long_length = msg;
  long_length[3] = std::byte{8};  // claims 8 bytes of attributes that are not there
  EXPECT_FALSE(stun_transaction_id(long_length));
  EXPECT_FALSE(stun_transaction_id(std::span<const std::byte>(msg).first(19)));
  auto rtp = msg;
  rtp[0] = std::byte{0x80};
  EXPECT_FALSE(stun_transaction_id(rtp));
}

TEST(TxidRegistry, PendingThenFinishedThenForgotten) {
  txid_registry r;
  const auto local = test::ep("127.0.0.1:4000");
  const auto id = test::txid(1);
  EXPECT_EQ(r.find(id, local), txid_registry::match::none);
  r.add(id, local, 42);
  std::uint64_t owner = 0;
  EXPECT_EQ(r.find(id, local, &owner), txid_registry::match::pending);
  EXPECT_EQ(owner, 42U);
  EXPECT_EQ(r.pending(), 1U);
  // Another socket's ID is not this socket's answer.
  EXPECT_EQ(r.find(id, test::ep("127.0.0.1:4001")), txid_registry::match::none);
  EXPECT_EQ(r.find(id, test::ep("[::1]:4000")), txid_registry::match::none);
  // Only family and port count: the stack may pass 0.0.0.0:4000.
  EXPECT_EQ(r.find(id, test::ep("0.0.0.0:4000")), txid_registry::match::pending);
  r.finish(id);
  EXPECT_EQ(r.find(id, local), txid_registry::match::finished);  // a late duplicate is still ours
  EXPECT_EQ(r.pending(), 0U);
  // Only the last finished_kept finished ones are remembered.
  for (std::size_t i = 0; i < txid_registry::finished_kept; ++i) {
    txid_t other{};
    other[0] = std::byte{0xEE};
    other[1] = std::byte(i & 0xFF);
    other[2] = std::byte(i >> 8);
    r.add(other, local, 1);
    r.finish(other);
  }
  EXPECT_EQ(r.find(id, local), txid_registry::match::none);
}

TEST(TxidRegistry, ReadersOnOtherThreads) {
  txid_registry r;
  const auto local = test::ep("127.0.0.1:4000");
  std::atomic<bool> stop{false};
  std::atomic<long> seen{0};
  std::thread reader([&] {
    while (!stop) {
      if (r.find(test::txid(3), local) != txid_registry::match::none) ++seen;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    r.add(test::txid(3), local, 1);
    r.finish(test::txid(3));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(r.find(test::txid(3), local), txid_registry::match::finished);
}
