// Range walk for single ports and even/odd pairs.
#include "port_allocator.hpp"

#include <cerrno>

#include "pinhole/errors.hpp"

namespace pinhole::client {

namespace {

bool in_use(const std::error_code& ec) noexcept {
  return ec == std::errc::address_in_use || ec == std::errc::permission_denied ||
         ec == make_error_code(errc::address_in_use);
}

}  // namespace

std::error_code validate_range(const port_range& r) noexcept {
  if (r.any()) return {};
  if (r.min == 0 || r.min > r.max) return make_error_code(errc::invalid_argument);
  return {};
}

std::error_code allocate_port(const port_range& r, std::uint32_t start, const try_bind_fn& try_bind,
                              std::uint16_t& out) {
  if (const auto ec = validate_range(r)) return ec;
  if (r.any()) {
    const auto ec = try_bind(0);
    if (ec) return in_use(ec) ? make_error_code(errc::no_port_available) : ec;
    out = 0;  // the caller reads the port the kernel chose
    return {};
  }
  const std::uint32_t size = static_cast<std::uint32_t>(r.max) - r.min + 1U;
  for (std::uint32_t i = 0; i < size; ++i) {
    const auto p = static_cast<std::uint16_t>(r.min + (start + i) % size);
    const auto ec = try_bind(p);
    if (!ec) {
      out = p;
      return {};
    }
    if (!in_use(ec)) return ec;
  }
  return make_error_code(errc::no_port_available);
}

std::error_code allocate_pair(const port_range& configured, std::uint32_t start, const try_bind_fn& try_bind_pair,
                              std::uint16_t& out_even) {
  const port_range r = configured.any() ? dynamic_ports : configured;
  if (const auto ec = validate_range(r)) return ec;
  const std::uint32_t first = r.min + (r.min & 1U);  // lowest even port
  if (first + 1U > r.max) return make_error_code(errc::no_port_available);
  const std::uint32_t pairs = (static_cast<std::uint32_t>(r.max) - first - 1U) / 2U + 1U;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    const auto p = static_cast<std::uint16_t>(first + 2U * ((start + i) % pairs));
    const auto ec = try_bind_pair(p);
    if (!ec) {
      out_even = p;
      return {};
    }
    if (!in_use(ec)) return ec;
  }
  return make_error_code(errc::no_port_available);
}

}  // namespace pinhole::client
