// Fuzz target: libpinhole's reply validation (client::validate_response),
// the gate between datagrams from servers we do not control and the mapping
// the library reports. Input: one flags byte, then the datagram.
//   bit 0: credentials set (RFC 5769's password, so its samples verify)
//   bit 1: IPv6 socket (else IPv4)
//   bit 2: the datagram comes from the expected server (else a stranger)
//   bit 3: we expect the datagram's own transaction ID (else a fixed one)
// Invariants: nothing is accepted that is not a Binding response to our
// transaction from our server; an accepted success reports exactly the
// (XOR-)MAPPED-ADDRESS it carries, of the socket's family, never 0 or the
// unspecified address; OTHER-ADDRESS is never the server itself; with
// credentials, an accepted success has a valid MESSAGE-INTEGRITY; and a
// datagram that is not accepted leaves the caller's result untouched.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "binding.hpp"
#include "fuzz_check.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"

namespace {

using namespace pinhole;
using namespace pinhole::client;

constexpr std::string_view password = "VOkJxbRl1RmTxUk/WvJxBt";  // RFC 5769 §2

ip_endpoint endpoint(ip_family f, std::uint8_t last, std::uint16_t port) {
  ip_endpoint e;
  e.family = f;
  if (f == ip_family::v4) {
    e.ip = {192, 0, 2, last};
  } else {
    e.ip = {0x20, 0x01, 0x0d, 0xb8};
    e.ip[15] = last;
  }
  e.port = port;
  return e;
}

// What a correct reader takes as the mapping: XOR-MAPPED-ADDRESS if it
// decodes, else MAPPED-ADDRESS.
bool expected_mapping(const stun::message_view& m, ip_endpoint& out) {
  stun::transport_address a;
  const auto x = m.find(stun::attr::xor_mapped_address);
  bool ok = x && !stun::decode_xor_address(*x, m.cookie_and_id(), a);
  if (!ok) {
    const auto p = m.find(stun::attr::mapped_address);
    ok = p && !stun::decode_address(*p, a);
  }
  if (!ok) return false;
  out.family = a.fam == stun::family::ipv4 ? ip_family::v4 : ip_family::v6;
  out.ip = a.ip;
  out.port = a.port;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned flags = data[0];
  const std::span<const std::byte> dgram(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  expectation expect;
  const auto fam = (flags & 2U) != 0 ? ip_family::v6 : ip_family::v4;
  expect.socket_family = fam;
  expect.source = endpoint(fam, 1, 3478);
  for (std::size_t i = 0; i < expect.txid.size(); ++i) expect.txid[i] = static_cast<std::byte>(0xA0 + i);
  if ((flags & 8U) != 0 && dgram.size() >= stun::header_size) std::copy_n(dgram.begin() + 8, 12, expect.txid.begin());
  if ((flags & 1U) != 0) expect.auth = credentials{"evtj:h6vY", std::string(password)};
  const ip_endpoint from = (flags & 4U) != 0 ? expect.source : endpoint(fam, 66, 3478);

  binding_result out;
  out.reason = "untouched";
  out.error_code = 1;
  const auto v = validate_response(dgram, from, expect, out);
  if (v != verdict::accepted) {
    FUZZ_CHECK(out.reason == "untouched" && out.error_code == 1 && !out.success);
    return 0;
  }

  stun::message_view m;
  FUZZ_CHECK(!stun::message_view::parse(dgram, m));
  FUZZ_CHECK(!m.classic());
  FUZZ_CHECK(m.type() == stun::binding_success || m.type() == stun::binding_error);
  FUZZ_CHECK(std::ranges::equal(m.transaction_id(), expect.txid));
  FUZZ_CHECK(from == expect.source && out.from == from);

  if (!out.success) {
    FUZZ_CHECK(m.type() == stun::binding_error);
    FUZZ_CHECK(out.error_code >= 300 && out.error_code <= 699);
    if (out.alternate_server) FUZZ_CHECK(out.error_code == 300);
    return 0;
  }
  FUZZ_CHECK(m.type() == stun::binding_success);
  ip_endpoint want;
  FUZZ_CHECK(expected_mapping(m, want));
  FUZZ_CHECK(out.mapped == want);
  FUZZ_CHECK(out.mapped.family == fam && out.mapped.port != 0 && !out.mapped.is_unspecified());
  if (out.other) {
    FUZZ_CHECK(*out.other != expect.source && out.other->family == fam && out.other->port != 0);
    FUZZ_CHECK(!out.other->is_unspecified());
    if (out.origin) FUZZ_CHECK(*out.other != *out.origin);
  }
  if (expect.auth) FUZZ_CHECK(!stun::verify_integrity(m, stun::short_term_key(password)));
  return 0;
}
