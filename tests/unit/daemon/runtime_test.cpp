// runtime: the published state, its per-worker cache, and what a reload keeps.
#include "runtime.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace pd = pinhole::daemon;

namespace {

std::shared_ptr<const pd::runtime_state> state_with_software(const std::string& software,
                                                             const pd::runtime_state* previous = nullptr) {
  pd::config c = pd::default_config();
  c.software = software;
  return pd::make_runtime_state(c, {}, previous);
}

}  // namespace

TEST(StateRef, StoreBumpsTheVersion) {
  pd::state_ref ref;
  EXPECT_EQ(ref.version(), 0u);
  EXPECT_EQ(ref.load(), nullptr);
  auto a = state_with_software("a");
  ref.store(a);
  EXPECT_EQ(ref.version(), 1u);
  EXPECT_EQ(ref.load(), a);
  ref.store(state_with_software("b"));
  EXPECT_EQ(ref.version(), 2u);
  EXPECT_EQ(ref.load()->cfg.software, "b");
}

TEST(StateCache, FollowsReloadsAndKeepsItsCopyMeanwhile) {
  pd::state_ref ref;
  ref.store(state_with_software("first"));
  pd::state_cache cache(ref);
  const pd::runtime_state* first = &cache.get();
  EXPECT_EQ(first->cfg.software, "first");
  EXPECT_EQ(first->handler.software, "first");  // views point into the cached copy
  EXPECT_EQ(&cache.get(), first);               // no reload: the same object

  std::weak_ptr<const pd::runtime_state> old = ref.load();
  ref.store(state_with_software("second"));
  EXPECT_FALSE(old.expired());  // the cache still holds it until its next get()
  EXPECT_EQ(cache.get().cfg.software, "second");
  EXPECT_TRUE(old.expired());
}

TEST(StateCache, SeesTheStateStoredBeforeTheVersionMoved) {
  // A reader that sees version N must get a state at least as new as the
  // N-th store: the writer publishes the pointer before the version.
  pd::state_ref ref;
  ref.store(state_with_software("0"));
  std::thread writer([&] {
    for (int i = 1; i <= 2000; ++i) ref.store(state_with_software(std::to_string(i)));
  });
  pd::state_cache cache(ref);
  int last = 0;
  for (int k = 0; k < 200000 && last < 2000; ++k) {
    const std::uint64_t v = ref.version();
    const int seen = std::stoi(cache.get().cfg.software);
    EXPECT_GE(seen, static_cast<int>(v) - 1);  // store #v wrote software = v - 1
    EXPECT_GE(seen, last);                     // never goes back
    last = seen;
  }
  writer.join();
  EXPECT_EQ(cache.get().cfg.software, "2000");
}

TEST(RuntimeState, ReloadKeepsLimitersWhenTheirSettingsAreUnchanged) {
  pd::config c = pd::default_config();
  c.rate_limit.per_ip_rate = 10;
  c.rate_limit.global_rate = 1000;
  auto a = pd::make_runtime_state(c, {});
  ASSERT_NE(a->per_source, nullptr);
  ASSERT_NE(a->global, nullptr);
  c.software = "changed";
  auto b = pd::make_runtime_state(c, {}, a.get());
  EXPECT_EQ(b->per_source, a->per_source);
  EXPECT_EQ(b->global, a->global);
  c.rate_limit.per_ip_rate = 20;
  auto d = pd::make_runtime_state(c, {}, b.get());
  EXPECT_NE(d->per_source, b->per_source);
}
