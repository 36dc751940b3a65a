#include "upnp_validate.hpp"

#include <charconv>

#include "pinhole/errors.hpp"

namespace pinhole::client::upnp {

namespace {
template <typename T>
std::optional<T> decimal(std::string_view text, T max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;  // "+1", " 1", "1x"
  if (v > max) return std::nullopt;
  return static_cast<T>(v);
}

bool dotted_quad(std::string_view text) {
  // ip_endpoint::parse_ip takes what inet_pton takes; insist on the plain
  // IPv4 form besides (no IPv6 text where IGDv1/v2 define an IPv4 address).
  int dots = 0;
  for (const char c : text) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}
}  // namespace

bool usable(const igd& g) noexcept {
  if (g.status != 1 && g.status != 2) return false;
  if (g.control_url.rfind("http://", 0) != 0) return false;  // libminiupnpc speaks plain HTTP only
  const std::string_view st = g.service_type;
  if (st.find(":service:WANIPConnection:") == std::string_view::npos &&
      st.find(":service:WANPPPConnection:") == std::string_view::npos)
    return false;
  return dotted_quad(g.lan_address) && ip_endpoint::parse_ip(g.lan_address, 0).has_value();
}

std::optional<ip_endpoint> parse_external_ip(std::string_view text) {
  if (!dotted_quad(text)) return std::nullopt;
  auto e = ip_endpoint::parse_ip(text, 0);
  if (!e || e->family != ip_family::v4) return std::nullopt;
  const auto b = e->ip[0];
  if (e->is_unspecified() || e->is_loopback() || b == 0 || (b >= 224 && b <= 239)) return std::nullopt;
  if (b == 255 && e->ip[1] == 255 && e->ip[2] == 255 && e->ip[3] == 255) return std::nullopt;
  return e;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  auto p = decimal<std::uint16_t>(text, 65535);
  if (!p || *p == 0) return std::nullopt;
  return p;
}

std::optional<std::uint32_t> parse_lease(std::string_view text) {
  // An "unbounded" lease (larger than a week, or larger than 32 bits) is
  // believed as a week: it is renewed at half of that anyway.
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const auto v = decimal<std::uint64_t>(text.size() > 10 ? std::string_view("9999999999") : text, 9999999999ULL);
  if (!v) return std::nullopt;
  return static_cast<std::uint32_t>(*v > max_lease ? max_lease : *v);
}

bool confirms(const entry& e, const ip_endpoint& internal_client, std::uint16_t internal_port) {
  const auto client = dotted_quad(e.internal_client) ? ip_endpoint::parse_ip(e.internal_client, 0) : std::nullopt;
  const auto port = parse_port(e.internal_port);
  // NewEnabled is a boolean: "1" (some IGDs send "true").
  const bool enabled = e.enabled == "1" || e.enabled == "true";
  return client && client->same_ip(internal_client) && port && *port == internal_port && enabled;
}

std::optional<ip_endpoint> url_endpoint(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  auto rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  std::uint16_t port = 80;
  if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    const auto p = parse_port(rest.substr(colon + 1));
    if (!p) return std::nullopt;
    port = *p;
    rest = rest.substr(0, colon);
  }
  if (!dotted_quad(rest)) return std::nullopt;
  return ip_endpoint::parse_ip(rest, port);
}

std::error_code to_error(int upnp_result) noexcept {
  if (upnp_result == 0) return {};
  if (upnp_result > 0) return make_error_code(errc::server_error);
  if (upnp_result == -3) return make_error_code(errc::timeout);  // UPNPCOMMAND_HTTP_ERROR: no (HTTP) answer
  return make_error_code(errc::bad_response);                    // invalid response, invalid args, memory
}

}  // namespace pinhole::client::upnp
