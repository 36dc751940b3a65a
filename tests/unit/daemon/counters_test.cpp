// Counter blocks, per-listener sums and the registry's retired totals.
#include "counters.hpp"

#include <gtest/gtest.h>

using namespace pinhole::daemon;

TEST(Counters, GetReadsOneCounterOfASnapshot) {
  counter_values v{};
  v[static_cast<std::size_t>(counter::answered)] = 7;
  EXPECT_EQ(get(v, counter::answered), 7U);
  EXPECT_EQ(get(v, counter::received), 0U);
}

TEST(Counters, NamesAreStableMetricLabels) {
  EXPECT_EQ(to_string(counter::answered), "answered");
  EXPECT_EQ(to_string(counter::dropped_rate_limited), "dropped_rate_limited");
  EXPECT_EQ(to_string(counter::dropped_global_limit), "dropped_global_limit");
  EXPECT_EQ(to_string(counter::dropped_acl), "dropped_acl");
  for (std::size_t i = 0; i < counter_count; ++i) EXPECT_NE(to_string(static_cast<counter>(i)), "unknown") << i;
}

TEST(Counters, ListenerSumsItsWorkers) {
  listener_counters c(3);
  c.at(0).add(counter::received, 2);
  c.at(2).add(counter::received);
  c.at(1).add(counter::answered, 5);
  EXPECT_EQ(get(c.total(), counter::received), 3U);
  EXPECT_EQ(get(c.total(), counter::answered), 5U);
}

TEST(Counters, RetiredListenersStayInTheTotals) {
  counter_registry r(2);
  auto a = r.add();
  auto b = r.add();
  a->at(0).add(counter::answered, 7);
  b->at(1).add(counter::answered, 3);
  EXPECT_EQ(get(r.total(), counter::answered), 10U);
  r.retire(a);
  EXPECT_EQ(get(r.total(), counter::answered), 10U);  // never goes backwards
  a->at(0).add(counter::answered, 100);               // a late write to a retired listener is not counted twice
  EXPECT_EQ(get(r.total(), counter::answered), 10U);
  r.retire(a);  // idempotent
  EXPECT_EQ(get(r.total(), counter::answered), 10U);
}
