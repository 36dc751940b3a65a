// Port selection within the configured range of each port type, including
// RTP/RTCP pairs on adjacent even/odd ports. Pure: the actual bind() is a
// callback, so the search is unit-testable without sockets.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <system_error>

#include "pinhole/types.hpp"

namespace pinhole::client {

// Tries to bind port `p` (0 = let the kernel choose); returns the error of
// bind(), e.g. EADDRINUSE, or success. For pairs it binds p and p+1.
using try_bind_fn = std::function<std::error_code(std::uint16_t p)>;

// Range used for RTP/RTCP pairs when the configured range is "any": the IANA
// dynamic range (RFC 6335 §6).
inline constexpr port_range dynamic_ports{49152, 65535};

std::error_code validate_range(const port_range& r) noexcept;

// Walks the range from a random start (`start` is reduced modulo its size),
// returning the first port bind accepts. Stops on errors other than "in use"
// (EADDRINUSE/EACCES). errc::no_port_available when the range is exhausted.
std::error_code allocate_port(const port_range& r, std::uint32_t start, const try_bind_fn& try_bind,
                              std::uint16_t& out);

// Same over even ports p with p+1 also inside the range (RFC 3550 §11: "RTP
// SHOULD use an even destination port number and the corresponding RTCP
// stream SHOULD use the next higher (odd) destination port number").
std::error_code allocate_pair(const port_range& r, std::uint32_t start, const try_bind_fn& try_bind_pair,
                              std::uint16_t& out_even);

}  // namespace pinhole::client
