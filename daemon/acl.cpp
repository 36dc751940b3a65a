#include "acl.hpp"

#include <algorithm>

#include "load_be.hpp"

namespace pinhole::daemon {
namespace {

// The top `bits` bits set, of a `width`-bit word (bits <= width <= 64).
std::uint64_t top_bits(unsigned bits, unsigned width) noexcept {
  if (bits == 0) return 0;
  const std::uint64_t all = width == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << width) - 1);
  return bits >= width ? all : (all & ~((std::uint64_t{1} << (width - bits)) - 1));
}

}  // namespace

outcome acl::build(const std::vector<prefix_setting>& prefixes, acl& out) {
  acl result;
  for (const auto& setting : prefixes) {
    if (!setting.valid()) {
      return {daemon_errc::invalid_setting, "config: allow: \"" + setting.text() +
                                                "\" is not an IP prefix like \"198.51.100.0/24\" with zero host bits"};
    }
    const ip_prefix& p = setting.value();
    if (p.family == stun::family::ipv4) {
      const auto mask = static_cast<std::uint32_t>(top_bits(p.length, 32));
      result.v4_.push_back({static_cast<std::uint32_t>(load_be(p.ip.data(), 4)) & mask, mask});
    } else {
      const std::uint64_t mhi = top_bits(std::min(p.length, 64U), 64);
      const std::uint64_t mlo = top_bits(p.length > 64 ? p.length - 64 : 0, 64);
      result.v6_.push_back({load_be(p.ip.data(), 8) & mhi, load_be(p.ip.data() + 8, 8) & mlo, mhi, mlo});
    }
  }
  out = std::move(result);
  return {};
}

bool acl::allows(const stun::transport_address& a) const noexcept {
  if (empty()) return true;
  if (a.fam == stun::family::ipv4 || a.is_v4_mapped()) {
    const auto ip = static_cast<std::uint32_t>(load_be(a.unmap_v4().ip.data(), 4));
    return std::any_of(v4_.begin(), v4_.end(), [ip](const v4_entry& e) { return (ip & e.mask) == e.net; });
  }
  const std::uint64_t hi = load_be(a.ip.data(), 8);
  const std::uint64_t lo = load_be(a.ip.data() + 8, 8);
  return std::any_of(v6_.begin(), v6_.end(), [hi, lo](const v6_entry& e) {
    return (hi & e.mask_hi) == e.net_hi && (lo & e.mask_lo) == e.net_lo;
  });
}

}  // namespace pinhole::daemon
