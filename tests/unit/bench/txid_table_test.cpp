// Transaction ID layout and the in-flight request table of pinhole-bench.
#include "txid_table.hpp"

#include <gtest/gtest.h>

#include <array>
#include <stdexcept>

using namespace pinhole::bench;

TEST(Txid, RoundTripsEveryField) {
  const txid_fields f{0xDEADBEEF, 0x1234, 0x0000A1B2C3D4E5F6ULL & 0xFFFFFFFFFFFFULL};
  std::array<std::byte, 12> id{};
  encode_txid(f, id);
  EXPECT_EQ(id[0], std::byte{0xDE});
  EXPECT_EQ(id[4], std::byte{0x12});
  EXPECT_EQ(id[11], std::byte{0xF6});
  const auto g = decode_txid(id);
  EXPECT_EQ(g.nonce, f.nonce);
  EXPECT_EQ(g.socket, f.socket);
  EXPECT_EQ(g.seq, f.seq);
}

TEST(Txid, SequenceUses48Bits) {
  std::array<std::byte, 12> id{};
  encode_txid({1, 2, (1ULL << 48) - 1}, id);
  EXPECT_EQ(decode_txid(id).seq, (1ULL << 48) - 1);
}

TEST(TxidTable, FirstAnswerThenDuplicate) {
  txid_table t(8);
  t.sent(3, 1000);
  std::uint64_t when = 0;
  EXPECT_EQ(t.answer(3, when), txid_table::match::first);
  EXPECT_EQ(when, 1000U);
  EXPECT_EQ(t.answer(3, when), txid_table::match::duplicate);
}

TEST(TxidTable, UnknownWhenNeverSentOrOverwritten) {
  txid_table t(8);
  std::uint64_t when = 0;
  EXPECT_EQ(t.answer(0, when), txid_table::match::unknown);
  t.sent(1, 10);
  t.sent(9, 20);  // same slot, newer request
  EXPECT_EQ(t.answer(1, when), txid_table::match::unknown);
  EXPECT_EQ(t.answer(9, when), txid_table::match::first);
  EXPECT_EQ(when, 20U);
}

TEST(TxidTable, ReusedSlotStartsUnanswered) {
  txid_table t(4);
  std::uint64_t when = 0;
  t.sent(2, 5);
  ASSERT_EQ(t.answer(2, when), txid_table::match::first);
  t.sent(6, 7);
  EXPECT_EQ(t.answer(6, when), txid_table::match::first);
}

TEST(TxidTable, CapacityMustBeAPowerOfTwo) {
  EXPECT_THROW(txid_table(0), std::invalid_argument);
  EXPECT_THROW(txid_table(12), std::invalid_argument);
  EXPECT_EQ(txid_table(16).capacity(), 16U);
}

TEST(TxidTable, PendingUntilAnswered) {
  txid_table t(8);
  EXPECT_FALSE(t.pending(3));  // never sent
  t.sent(3, 100);
  EXPECT_TRUE(t.pending(3));
  std::uint64_t sent = 0;
  ASSERT_EQ(t.answer(3, sent), txid_table::match::first);
  EXPECT_FALSE(t.pending(3));
  t.sent(11, 200);  // same slot, a later lap
  EXPECT_FALSE(t.pending(3));
  EXPECT_TRUE(t.pending(11));
}
