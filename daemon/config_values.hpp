// The value types of pinholed's settings and their text forms: an IP
// address, an "IP:PORT" endpoint, an ACL prefix, and `parsed<T>`, a setting
// written as text and parsed once, when it is assigned, into its type.
// Socket-free; startup/reload path only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "stun/address.hpp"

namespace pinhole::daemon {

// One "IP:PORT" listen (or metrics) address. IPv6 must be bracketed: "[::1]:3478".
struct listen_spec {
  std::string text;              // as written in the config / on the command line; "" = no address
  stun::transport_address addr;  // port 0 = kernel-chosen (useful for tests)

  friend bool operator==(const listen_spec&, const listen_spec&) = default;
};

// An ACL prefix "198.51.100.0/24", "2001:db8::/32", or a bare IP (= /32 or /128).
struct ip_prefix {
  stun::family family = stun::family::ipv4;
  std::array<std::uint8_t, 16> ip{};  // network order; IPv4 uses the first 4 bytes
  unsigned length = 0;                // prefix length in bits

  friend bool operator==(const ip_prefix&, const ip_prefix&) = default;
};

// The grammars are the shared address module's (stun/address.hpp); these
// only adapt them to `parsed<T>`.
// "1.2.3.4:3478" / "[2001:db8::1]:3478"; port 0..65535
// (stun::transport_address::parse). false on any syntax error.
bool parse_listen(std::string_view text, listen_spec& out);

// An IP literal "192.0.2.1" / "2001:db8::1", no brackets, no zone
// (stun::transport_address::parse_literal); port 0.
bool parse_ip(std::string_view text, stun::transport_address& out);

// Host bits beyond the prefix length must be zero.
bool parse_prefix(std::string_view text, ip_prefix& out);

// A setting kept as written (for messages and --print-config) and as parsed
// (for the daemon), parsed once on assignment. Empty text means "not set".
// Text that does not parse is kept but not valid(): validate() names it.
template <class T, bool (*Parse)(std::string_view, T&)>
class parsed {
 public:
  parsed() = default;
  parsed(std::string text) : text_(std::move(text)) { valid_ = !text_.empty() && Parse(text_, value_); }  // NOLINT
  parsed(const char* text) : parsed(std::string(text)) {}                                                 // NOLINT

  const std::string& text() const noexcept { return text_; }
  bool empty() const noexcept { return text_.empty(); }
  // Set and parsed; value() is meaningful only then.
  bool valid() const noexcept { return valid_; }
  const T& value() const noexcept { return value_; }
  void clear() { *this = parsed(); }

  friend bool operator==(const parsed& a, const parsed& b) { return a.text_ == b.text_; }
  friend bool operator==(const parsed& a, const std::string& b) { return a.text_ == b; }
  friend bool operator==(const parsed& a, const char* b) { return a.text_ == b; }

 private:
  std::string text_;
  T value_{};
  bool valid_ = false;
};

using ip_setting = parsed<stun::transport_address, parse_ip>;  // "" = unset
using endpoint_setting = parsed<listen_spec, parse_listen>;    // "" = off
using prefix_setting = parsed<ip_prefix, parse_prefix>;

// A valid() ip_setting's address with `port` (what a socket binds or a
// response advertises).
inline stun::transport_address at_port(const ip_setting& ip, std::uint16_t port) noexcept {
  stun::transport_address a = ip.value();
  a.port = port;
  return a;
}

// ---- text checks of the string settings ----

// True if `s` is valid UTF-8 (no overlongs, surrogates or code points past
// U+10FFFF); `chars` is then its number of code points.
bool utf8_length(std::string_view s, std::size_t& chars);
// ASCII control characters (C0, DEL).
bool has_control(std::string_view s);
// ASCII and C1 (U+0080-U+009F) control characters.
bool has_control_text(std::string_view s);

}  // namespace pinhole::daemon
