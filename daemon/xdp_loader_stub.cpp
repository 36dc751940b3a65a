// pinholed built without the XDP fast path (PINHOLE_XDP off: no clang or
// libbpf): --xdp reports that and the socket path serves.
#include "xdp/stun_xdp_abi.h"
#include "xdp_loader.hpp"

namespace pinhole::daemon {

bool xdp_fast_path::compiled_in() noexcept { return false; }
xdp_fast_path::~xdp_fast_path() = default;
void xdp_fast_path::detach() noexcept {}

bool xdp_fast_path::attach(const config&, const std::vector<listener>&, std::string& error) {
  error = "this pinholed was built without XDP support (PINHOLE_XDP=OFF)";
  return false;
}

bool xdp_fast_path::fill(const config&, const std::vector<listener>&, bool, std::string&) { return false; }
void xdp_fast_path::update(const config&, const std::vector<listener>&, bool) {}
void xdp_fast_path::set_answering(bool) {}
std::vector<std::uint64_t> xdp_fast_path::counters() const { return std::vector<std::uint64_t>(PH_STAT_COUNT, 0); }

}  // namespace pinhole::daemon
