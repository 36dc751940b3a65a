// pinhole-bench's open-loop send schedule.
#include "pacer.hpp"

#include <gtest/gtest.h>

using pinhole::bench::pacer;

TEST(Pacer, FirstRequestIsDueAtTheStart) {
  const pacer p(1000, 5'000'000);
  EXPECT_EQ(p.due(0), 0U);
  EXPECT_EQ(p.due(4'999'999), 0U);
  EXPECT_EQ(p.due(5'000'000), 1U);
  EXPECT_EQ(p.time_of(0), 5'000'000U);
}

TEST(Pacer, EvenSpacingAtTheRate) {
  const pacer p(100'000, 0);  // one every 10 us
  EXPECT_EQ(p.time_of(1), 10'000U);
  EXPECT_EQ(p.time_of(100'000), 1'000'000'000U);
  EXPECT_EQ(p.due(9'999), 1U);
  EXPECT_EQ(p.due(10'000), 2U);
  EXPECT_EQ(p.due(1'000'000'000), 100'001U);
}

TEST(Pacer, ScheduleAndDueAgreeForAwkwardRates) {
  // due(time_of(i)) == i + 1 and due(time_of(i) - 1) == i: no request is
  // skipped or sent twice, whatever the rounding.
  for (std::uint64_t rate : {1ULL, 3ULL, 7ULL, 999ULL, 12'345ULL, 333'333ULL, 10'000'000ULL}) {
    const pacer p(rate, 123'456'789);
    for (std::uint64_t i = 0; i < 2000; i += 7) {
      const auto t = p.time_of(i);
      ASSERT_EQ(p.due(t), i + 1) << rate << " " << i;
      if (t > p.start()) {
        ASSERT_EQ(p.due(t - 1), i) << rate << " " << i;
      }
    }
  }
}

TEST(Pacer, NoDriftOverLongRuns) {
  const pacer p(30'000, 0);
  // One hour at 30k/s: exactly 108 million requests, the last at 3600 s - 1/30000 s.
  EXPECT_EQ(p.total_in(3600ULL * 1'000'000'000ULL), 108'000'000U);
  EXPECT_EQ(p.time_of(108'000'000), 3600ULL * 1'000'000'000ULL);
}

TEST(Pacer, TotalInAWindow) {
  const pacer p(2000, 1'000);
  EXPECT_EQ(p.total_in(1'000'000'000), 2000U);  // 1 s at 2000/s
  EXPECT_EQ(p.total_in(1), 1U);
  EXPECT_EQ(p.total_in(0), 0U);
}

TEST(Pacer, ZeroRateMeansUnlimited) {
  const pacer p(0, 100);
  EXPECT_EQ(p.due(0), pacer::unlimited);
  EXPECT_EQ(p.total_in(1'000'000'000), pacer::unlimited);
  EXPECT_EQ(p.time_of(12345), 100U);
}
