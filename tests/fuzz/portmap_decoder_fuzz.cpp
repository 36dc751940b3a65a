// Fuzz target: the PCP (RFC 6887) and NAT-PMP (RFC 6886) answer decoders.
// Arbitrary bytes are decoded as an answer to a fixed MAP request of each
// protocol (PCP: an IPv6 request when the reserved byte 2 is odd, which a
// decoder must ignore). Invariants: an accepted PCP MAP success answers exactly the
// request (nonce, protocol, internal port) with a usable external address
// of the request's family; an accepted NAT-PMP external-address success
// names a non-zero address; nothing reads past the input (ASan).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "natpmp_codec.hpp"
#include "pcp_codec.hpp"

using namespace pinhole;
using namespace pinhole::client::portmap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  pcp_map_request req;
  req.lifetime = 7200;
  req.client = *ip_endpoint::parse_ip(size > 2 && (data[2] & 1) ? "2001:db8::10" : "198.18.0.10", 0);
  req.nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  req.internal_port = 5004;
  pcp_map_response r;
  if (!decode_pcp_map_response(in, req, r) && r.result == pcp_result::success && size >= pcp_map_request_size) {
    FUZZ_CHECK(r.nonce == req.nonce && r.protocol == req.protocol && r.internal_port == req.internal_port);
    FUZZ_CHECK(r.external.family == req.client.family && !r.external.is_unspecified() && r.external.port != 0);
  }
  pcp_header h;
  (void)decode_pcp_header(in, h);
  natpmp_response n;
  if (!decode_natpmp_response(in, natpmp_op::external_address, n) && n.result == natpmp_result::success) {
    FUZZ_CHECK(size >= natpmp_address_response_size);
    FUZZ_CHECK(n.external_ip != (std::array<std::uint8_t, 4>{}));
  }
  if (!decode_natpmp_response(in, natpmp_op::map_udp, n) && n.result == natpmp_result::success) {
    FUZZ_CHECK(size >= natpmp_map_response_size);
  }
  return 0;
}
