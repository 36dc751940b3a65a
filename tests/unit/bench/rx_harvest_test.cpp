// Reading pinhole-bench's XDP receive ring in order (rx_harvest.hpp), on a
// plain array standing for the shared map.
#include "rx_harvest.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

using namespace pinhole::bench;

namespace {

struct fixture {
  std::vector<pb_rx_entry> ring = std::vector<pb_rx_entry>(16);
  std::set<std::uint64_t> unsent;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> got;  // (seq, rx_ns)

  void answer(std::uint64_t seq, std::uint64_t rx_ns) { ring[seq & 15] = pb_rx_entry{seq + 1, rx_ns}; }
  std::uint64_t collect(rx_harvest& h, std::uint64_t next, bool final) {
    return h.collect(
        next, final, [this](std::uint64_t s) { return unsent.count(s) == 0; },
        [this](std::uint64_t s, std::uint64_t t) { got.emplace_back(s, t); });
  }
};

}  // namespace

TEST(RxHarvest, HandsOverAnswersInOrderWithTheirTime) {
  fixture f;
  rx_harvest h(f.ring, 8);
  f.answer(1, 110);
  f.answer(0, 100);
  EXPECT_EQ(f.collect(h, 2, false), 2U);
  ASSERT_EQ(f.got.size(), 2U);
  EXPECT_EQ(f.got[0], std::make_pair(std::uint64_t{0}, std::uint64_t{100}));
  EXPECT_EQ(f.got[1], std::make_pair(std::uint64_t{1}, std::uint64_t{110}));
  EXPECT_EQ(f.collect(h, 2, false), 2U);  // nothing twice
  EXPECT_EQ(f.got.size(), 2U);
}

TEST(RxHarvest, AnUnansweredRequestWaitsThenIsGivenUpAtTheHorizon) {
  fixture f;
  rx_harvest h(f.ring, 4);
  f.answer(1, 11);
  f.answer(2, 12);
  EXPECT_EQ(f.collect(h, 3, false), 0U);  // 0 may still come
  EXPECT_TRUE(f.got.empty());
  f.answer(0, 15);  // late, within the horizon: counted
  EXPECT_EQ(f.collect(h, 3, false), 3U);
  EXPECT_EQ(f.got.size(), 3U);
  // 3 never answered: waits while fewer than 4 newer were sent, then is lost.
  f.answer(4, 20);
  EXPECT_EQ(f.collect(h, 6, false), 3U);
  EXPECT_EQ(f.collect(h, 7, false), 5U);  // 7 - 3 = 4: 3 given up, 4 counted, 5 waits
  EXPECT_EQ(f.got.back().first, 4U);
  EXPECT_EQ(f.got.size(), 4U);
}

TEST(RxHarvest, NeverSentRequestsAreSteppedOver) {
  fixture f;
  rx_harvest h(f.ring, 8);
  f.unsent.insert(1);  // a refused sendmmsg
  f.answer(0, 1);
  f.answer(2, 3);
  EXPECT_EQ(f.collect(h, 3, false), 3U);
  EXPECT_EQ(f.got.size(), 2U);
}

TEST(RxHarvest, TheFinalCollectGivesUpOnEveryUnansweredOne) {
  fixture f;
  rx_harvest h(f.ring, 8);
  f.answer(2, 30);
  EXPECT_EQ(f.collect(h, 4, true), 4U);
  ASSERT_EQ(f.got.size(), 1U);
  EXPECT_EQ(f.got[0].first, 2U);
}

TEST(RxHarvest, ASlotHoldingAnEarlierLapIsNotAnAnswer) {
  fixture f;
  rx_harvest h(f.ring, 8);
  f.answer(0, 5);
  EXPECT_EQ(f.collect(h, 1, false), 1U);
  // Sequence 16 shares slot 0 and holds sequence 0's answer: not 16's.
  for (std::uint64_t s = 1; s < 16; ++s) f.answer(s, 100 + s);
  EXPECT_EQ(f.collect(h, 17, false), 16U);
  EXPECT_EQ(f.got.size(), 16U);
  f.answer(16, 200);
  EXPECT_EQ(f.collect(h, 17, false), 17U);
  EXPECT_EQ(f.got.back(), std::make_pair(std::uint64_t{16}, std::uint64_t{200}));
}
