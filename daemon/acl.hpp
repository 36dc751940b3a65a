// The optional allow-list of client prefixes ("allow" in the config). Built
// once per (re)load; the per-packet check is a linear scan over a
// preallocated array of masks: no allocation, no locks. Meant for tens of
// prefixes; an empty list allows everyone.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "outcome.hpp"
#include "stun/address.hpp"

namespace pinhole::daemon {

class acl {
 public:
  acl() = default;  // allows everything

  // From the config's parsed prefixes. An entry that did not parse fails the
  // whole list (one line "config: allow: ...", code invalid_setting) and
  // leaves `out` as it was: validate() already refuses those, so this only
  // guards direct use.
  static outcome build(const std::vector<prefix_setting>& prefixes, acl& out);

  // True if `a` is inside one of the prefixes (or the list is empty). An
  // IPv4-mapped IPv6 source (::ffff:a.b.c.d) is checked as IPv4.
  bool allows(const stun::transport_address& a) const noexcept;

  bool empty() const noexcept { return v4_.empty() && v6_.empty(); }
  std::size_t size() const noexcept { return v4_.size() + v6_.size(); }

 private:
  struct v4_entry {
    std::uint32_t net, mask;
  };
  struct v6_entry {
    std::uint64_t net_hi, net_lo, mask_hi, mask_lo;
  };
  std::vector<v4_entry> v4_;
  std::vector<v6_entry> v6_;
};

}  // namespace pinhole::daemon
