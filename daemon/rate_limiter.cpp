#include "rate_limiter.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "load_be.hpp"

namespace pinhole::daemon {
namespace {

constexpr std::uint64_t mask48 = (std::uint64_t{1} << 48) - 1;
constexpr double units_per_second = 1e9 / 16;                // per-source clock: 16 ns units
constexpr std::uint64_t max_limit = std::uint64_t{1} << 46;  // ~13 days of debt, far below the 48-bit wrap

std::uint64_t mix(std::uint64_t x) noexcept {
  // MurmurHash3's 64-bit finaliser.
  x ^= x >> 33U;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33U;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33U;
  return x;
}

std::size_t next_pow2(std::size_t v) noexcept {
  std::size_t p = 1;
  while (p < v) p <<= 1U;
  return p;
}

}  // namespace

source_key key_of(const stun::transport_address& a) noexcept {
  if (a.fam == stun::family::ipv4) return {load_be(a.ip.data(), 4), false};
  // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) on a dual-stack socket is an IPv4 client.
  const bool mapped = std::all_of(a.ip.begin(), a.ip.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                      a.ip[10] == 0xff && a.ip[11] == 0xff;
  if (mapped) return {load_be(a.ip.data() + 12, 4), false};
  return {load_be(a.ip.data(), 8), true};
}

std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

double rate_limiter::default_burst(double rate) noexcept { return std::max(10.0, std::ceil(rate)); }

rate_limiter::rate_limiter(double rate, double burst, std::uint32_t table_size, std::uint64_t seed) {
  if (!(rate > 0)) rate = 1;
  if (!(burst >= 1)) burst = default_burst(rate);
  burst_ = burst;
  interval_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(units_per_second / rate)));
  const double limit = std::ceil(burst * static_cast<double>(interval_));
  limit_ = limit >= static_cast<double>(max_limit) ? max_limit : static_cast<std::uint64_t>(limit);
  limit_ = std::max(limit_, interval_);
  sets_ = next_pow2(std::max<std::size_t>(1, (std::size_t{table_size} + ways - 1) / ways));
  seed_[0] = mix(seed ^ 0x9e3779b97f4a7c15ULL);
  seed_[1] = mix(seed_[0] + 0x632be59bd9b4e019ULL);
  table_ = std::make_unique<set[]>(sets_);
}

std::size_t rate_limiter::table_bytes(std::uint32_t table_size) noexcept {
  return next_pow2(std::max<std::size_t>(1, (std::size_t{table_size} + ways - 1) / ways)) * sizeof(set);
}

std::uint64_t rate_limiter::hash(source_key key) const noexcept {
  return mix(mix(key.value ^ seed_[0]) + seed_[1] + (key.ipv6 ? 1U : 0U));
}

bool rate_limiter::allow(source_key key, std::uint64_t now_ns) noexcept {
  const std::uint64_t h = hash(key);
  set& s = table_[h & (sets_ - 1)];
  const std::uint64_t tag = (h >> 48U) == 0 ? 1 : (h >> 48U);  // tag 0 marks an empty slot
  const std::uint64_t now = (now_ns >> 4U) & mask48;
  // How far a slot's theoretical arrival time is ahead of now: 0 when it is
  // in the past (the bucket is full), computed modulo 2^48.
  const auto debt = [&](std::uint64_t word) noexcept -> std::uint64_t {
    if (word == 0) return 0;
    const std::uint64_t d = ((word & mask48) - now) & mask48;
    return d <= limit_ ? d : 0;
  };
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::size_t victim = 0;
    std::uint64_t victim_word = 0;
    std::uint64_t victim_debt = std::numeric_limits<std::uint64_t>::max();
    bool raced = false;
    for (std::size_t i = 0; i < ways && !raced; ++i) {
      std::uint64_t w = s.slot[i].load(std::memory_order_relaxed);
      const std::uint64_t d = debt(w);
      if ((w >> 48U) == tag) {
        // A CAS loop on this slot: lock-free, and a lost race is retried, so
        // concurrent workers never grant more than the budget.
        for (std::uint64_t d2 = d;;) {
          if (d2 + interval_ > limit_) return false;  // over the limit: no charge
          const std::uint64_t next = (tag << 48U) | ((now + d2 + interval_) & mask48);
          if (s.slot[i].compare_exchange_weak(w, next, std::memory_order_relaxed)) return true;
          if ((w >> 48U) != tag) break;  // the slot went to another source: look again
          d2 = debt(w);
        }
        raced = true;
        break;
      }
      if (d < victim_debt) {
        victim = i;
        victim_word = w;
        victim_debt = d;
      }
    }
    if (raced) continue;
    // A new source: its first request is always within the burst.
    const std::uint64_t fresh = (tag << 48U) | ((now + interval_) & mask48);
    if (s.slot[victim].compare_exchange_weak(victim_word, fresh, std::memory_order_relaxed)) return true;
  }
  return true;  // the set kept changing under us (4 evictions in a row): fail open rather than drop
}

global_limiter::global_limiter(double rate, double burst) {
  if (!(rate > 0)) rate = 1;
  if (!(burst >= 1)) burst = std::max(32.0, std::ceil(rate / 10));
  interval_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(1e9 / rate)));
  const double limit = std::ceil(burst * static_cast<double>(interval_));
  limit_ = limit >= 9e18 ? std::uint64_t{9000000000000000000ULL} : static_cast<std::uint64_t>(limit);
  limit_ = std::max(limit_, interval_);
}

std::uint32_t global_limiter::acquire(std::uint64_t now_ns, std::uint32_t n) noexcept {
  std::uint64_t tat = tat_.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint64_t base = std::max(tat, now_ns);
    const std::uint64_t ahead = base - now_ns;
    if (ahead + interval_ > limit_) return 0;
    const std::uint64_t room = (limit_ - ahead) / interval_;
    const auto granted = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, room));
    if (granted == 0) return 0;
    if (tat_.compare_exchange_weak(tat, base + granted * interval_, std::memory_order_relaxed)) return granted;
  }
}

void global_limiter::release(std::uint32_t n) noexcept {
  const std::uint64_t give = n * interval_;
  std::uint64_t tat = tat_.load(std::memory_order_relaxed);
  while (!tat_.compare_exchange_weak(tat, tat > give ? tat - give : 0, std::memory_order_relaxed)) {}
}

}  // namespace pinhole::daemon
