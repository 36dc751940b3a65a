// getrandom(2)-backed transaction IDs and bounded values.
#include "random.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

using namespace pinhole::client;

TEST(Random, TransactionIdsDoNotRepeat) {
  std::set<std::array<std::byte, 12>> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(new_transaction_id()).second);
}

TEST(Random, TransactionIdsUseAllBits) {
  // Over 256 IDs every byte position takes many values (a counter or a
  // timestamp would leave high bytes constant).
  std::array<std::set<std::byte>, 12> values;
  for (int i = 0; i < 256; ++i) {
    const auto id = new_transaction_id();
    for (std::size_t b = 0; b < id.size(); ++b) values[b].insert(id[b]);
  }
  for (const auto& v : values) EXPECT_GT(v.size(), 100U);
}

TEST(Random, BelowStaysInRangeAndCoversIt) {
  std::array<int, 7> hits{};
  for (int i = 0; i < 7000; ++i) {
    const auto v = random_below(7);
    ASSERT_LT(v, 7U);
    ++hits[v];
  }
  for (const int h : hits) EXPECT_GT(h, 700);
  EXPECT_EQ(random_below(0), 0U);
  EXPECT_EQ(random_below(1), 0U);
}

TEST(Random, SecureRandomFillsOddSizes) {
  std::array<std::byte, 333> buf{};
  ASSERT_FALSE(secure_random(buf));
  int zeros = 0;
  for (auto b : buf) zeros += b == std::byte{0} ? 1 : 0;
  EXPECT_LT(zeros, 20);
}
