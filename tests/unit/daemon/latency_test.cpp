// Latency histogram: bucket choice, cumulative snapshot, sum and count.
#include "latency.hpp"

#include <gtest/gtest.h>

using namespace pinhole::daemon;

TEST(Latency, BucketsAreUpperBoundsInclusive) {
  latency_histogram h;
  h.observe(1000, 3);      // exactly le=1us
  h.observe(1001, 2);      // next bucket (2.5us)
  h.observe(20000000, 1);  // beyond 10ms: +Inf
  latency_snapshot s;
  s.add(h);
  EXPECT_EQ(s.cumulative[0], 3U);
  EXPECT_EQ(s.cumulative[1], 5U);
  EXPECT_EQ(s.cumulative[latency_bounds_ns.size() - 1], 5U);
  EXPECT_EQ(s.cumulative.back(), 6U);
  EXPECT_EQ(s.count, 6U);
  EXPECT_EQ(s.sum_ns, 3000U + 2002U + 20000000U);
}

TEST(Latency, SnapshotSumsWorkers) {
  latency_histogram a;
  latency_histogram b;
  a.observe(4000, 1);
  b.observe(4000, 4);
  b.observe(300000, 1);
  latency_snapshot s;
  s.add(a);
  s.add(b);
  EXPECT_EQ(s.cumulative[2], 5U);  // le=5us
  EXPECT_EQ(s.cumulative[7], 5U);  // le=250us
  EXPECT_EQ(s.cumulative[8], 6U);  // le=500us
  EXPECT_EQ(s.count, 6U);
  for (std::size_t i = 1; i < s.cumulative.size(); ++i) EXPECT_GE(s.cumulative[i], s.cumulative[i - 1]);
}
