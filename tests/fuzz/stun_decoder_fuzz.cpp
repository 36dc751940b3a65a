// Fuzz target: the STUN decoder. Parses arbitrary bytes as one datagram,
// walks the attributes, decodes every attribute type the codec knows and
// verifies integrity with a fixed key. Whatever parses must round-trip: the
// processed attributes re-encoded with message_writer give a message that
// parses to the same type, cookie/transaction ID and attribute list.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "stun/attributes.hpp"
#include "stun/integrity.hpp"
#include "stun/reader.hpp"
#include "stun/writer.hpp"

namespace {

using namespace pinhole::stun;

struct attr_copy {
  std::uint16_t type;
  std::vector<std::byte> value;
  friend bool operator==(const attr_copy&, const attr_copy&) = default;
};

// The processed attributes. FINGERPRINT's value is a CRC over the message
// including padding bytes (which a sender may fill with anything), so only
// its presence is compared; parse() already checked its value.
std::vector<attr_copy> processed(const message_view& m) {
  std::vector<attr_copy> out;
  for (const auto& a : m) {
    out.push_back({a.type, {a.value.begin(), a.value.end()}});
    if (a.type == attr::fingerprint) out.back().value.clear();
  }
  return out;
}

void decode_all(const message_view& m) {
  for (const auto& a : m) {
    FUZZ_CHECK(a.offset >= header_size && a.offset + attribute_header_size + a.value.size() <= m.size());
    transport_address addr;
    switch (a.type) {
      case attr::mapped_address:
      case attr::response_address:
      case attr::source_address:
      case attr::changed_address:
      case attr::alternate_server:
      case attr::response_origin:
      case attr::other_address:
        if (!decode_address(a, addr)) FUZZ_CHECK(a.value.size() == 4 + addr.ip_size());
        break;
      case attr::xor_mapped_address:
        if (!decode_xor_address(a, m.cookie_and_id(), addr)) {
          // XOR is an involution: encoding the decoded address gives the wire
          // bytes back (all but the first, reserved byte, which is ignored).
          std::array<std::byte, 64> buf{};
          message_writer w(buf);
          w.begin(m.type(), m.cookie_and_id()).add_xor_address(attr::xor_mapped_address, addr);
          FUZZ_CHECK(!w.error());
          FUZZ_CHECK(std::ranges::equal(a.value.subspan(1), w.bytes().subspan(25)));
        }
        break;
      case attr::error_code: {
        error_code_value ev;
        if (!decode_error_code(a, ev)) FUZZ_CHECK(ev.code >= 300 && ev.code <= 699);
        break;
      }
      case attr::change_request: {
        change_request_value cr;
        (void)decode_change_request(a, cr);
        break;
      }
      case attr::response_port: {
        std::uint16_t port = 0;
        (void)decode_response_port(a, port);
        break;
      }
      case attr::unknown_attributes: {
        std::array<std::uint16_t, 4> types{};
        std::size_t count = 0;
        if (!decode_unknown_attributes(a, types, count)) FUZZ_CHECK(count * 2 == a.value.size());
        break;
      }
      case attr::username:
      case attr::realm:
      case attr::nonce:
      case attr::software: {
        std::string_view text;
        if (!decode_text(a, 763, text)) FUZZ_CHECK(text.size() == a.value.size());
        break;
      }
      default: break;
    }
  }
}

// The round-trip property.
void round_trip(const message_view& m) {
  const auto before = processed(m);
  std::vector<std::byte> buf(m.size());  // never larger than the original
  message_writer w(buf);
  w.begin(m.type(), m.cookie_and_id());
  for (const auto& a : before) {
    if (a.type == attr::fingerprint) {
      w.add_fingerprint();  // recomputed: padding bytes may differ from the original's
    } else {
      w.add_raw(a.type, a.value);
    }
  }
  FUZZ_CHECK(!w.error());
  FUZZ_CHECK(w.size() <= m.size());
  message_view again;
  FUZZ_CHECK(!message_view::parse(w.bytes(), again));
  FUZZ_CHECK(again.type() == m.type());
  FUZZ_CHECK(again.classic() == m.classic());
  FUZZ_CHECK(std::ranges::equal(again.cookie_and_id(), m.cookie_and_id()));
  FUZZ_CHECK(again.has_fingerprint() == m.has_fingerprint());
  FUZZ_CHECK(again.integrity().has_value() == m.integrity().has_value());
  FUZZ_CHECK(again.integrity_sha256().has_value() == m.integrity_sha256().has_value());
  FUZZ_CHECK(processed(again) == before);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in(reinterpret_cast<const std::byte*>(data), size);
  const bool plausible = looks_like_stun(in);
  message_view m;
  if (message_view::parse(in, m)) return 0;
  FUZZ_CHECK(plausible);
  FUZZ_CHECK(m.size() == size && size >= header_size && (size - header_size) % 4 == 0);
  decode_all(m);
  for (const auto& t : {attr::xor_mapped_address, attr::mapped_address, attr::username, attr::fingerprint}) {
    if (const auto a = m.find(t)) FUZZ_CHECK(a->type == t);
  }
  constexpr std::string_view password = "VOkJxbRl1RmTxUk/WvJxBt";  // RFC 5769's
  const auto ec = verify_integrity(m, short_term_key(password));
  FUZZ_CHECK(!ec || ec == errc::integrity_missing || ec == errc::integrity_mismatch);
  if (!m.integrity() && !m.integrity_sha256()) FUZZ_CHECK(ec == errc::integrity_missing);
  round_trip(m);
  return 0;
}
