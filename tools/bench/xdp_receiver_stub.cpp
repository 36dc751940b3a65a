// pinhole-bench built without PINHOLE_XDP: --xdp-receive is refused.
#include "xdp_receiver.hpp"

namespace pinhole::bench {

std::unique_ptr<xdp_receiver> xdp_receiver::open(const std::string&, std::uint32_t, std::uint16_t,
                                                 std::span<const std::uint16_t>, std::string& error) {
  error = "--xdp-receive: this pinhole-bench was built without XDP (PINHOLE_XDP=OFF)";
  return nullptr;
}

xdp_receiver::~xdp_receiver() = default;

rx_totals xdp_receiver::totals() const noexcept { return {}; }

}  // namespace pinhole::bench
