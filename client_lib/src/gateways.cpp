#include "gateways.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

namespace pinhole::client {

namespace {
bool hex_u32(std::string_view s, std::uint32_t& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool hex_bytes(std::string_view s, std::array<std::uint8_t, 16>& out) {
  if (s.size() != 32) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    std::uint32_t b = 0;
    if (!hex_u32(s.substr(2 * i, 2), b)) return false;
    out[i] = static_cast<std::uint8_t>(b);
  }
  return true;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> f;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t", at);
    if (start == std::string_view::npos) break;
    const auto end = std::min(line.find_first_of(" \t", start), line.size());
    f.push_back(line.substr(start, end - start));
    at = end;
  }
  return f;
}

template <typename Fn>
void each_line(std::string_view text, Fn fn) {
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find('\n', at), text.size());
    fn(text.substr(at, end - at));
    at = end + 1;
  }
}

std::vector<ip_endpoint> by_metric(std::vector<std::pair<std::uint32_t, ip_endpoint>> found) {
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ip_endpoint> out;
  for (const auto& [m, e] : found) {
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

std::vector<ip_endpoint> parse_ipv4_routes(std::string_view text) {
  // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses
  // are the kernel's u32 in host (little-endian) order.
  constexpr std::uint32_t rtf_up = 0x1, rtf_gateway = 0x2;
  std::vector<std::pair<std::uint32_t, ip_endpoint>> found;
  each_line(text, [&](std::string_view line) {
    const auto f = fields(line);
    std::uint32_t dst = 0, gw = 0, flags = 0, metric = 0, mask = 0;
    if (f.size() < 8 || !hex_u32(f[1], dst) || !hex_u32(f[2], gw) || !hex_u32(f[3], flags) || !hex_u32(f[7], mask)) {
      return;  // the header line, or garbage
    }
    const auto m = std::from_chars(f[6].data(), f[6].data() + f[6].size(), metric);
    if (m.ec != std::errc{} || dst != 0 || mask != 0 || gw == 0 ||
        (flags & (rtf_up | rtf_gateway)) != (rtf_up | rtf_gateway)) {
      return;
    }
    ip_endpoint e;
    for (std::size_t i = 0; i < 4; ++i) e.ip[i] = static_cast<std::uint8_t>(gw >> (8 * i));
    found.emplace_back(metric, e);
  });
  return by_metric(std::move(found));
}

std::vector<ip_endpoint> parse_ipv6_routes(std::string_view text) {
  // dest plen src plen next_hop metric refcnt use flags iface (hex).
  std::vector<std::pair<std::uint32_t, ip_endpoint>> found;
  each_line(text, [&](std::string_view line) {
    const auto f = fields(line);
    std::array<std::uint8_t, 16> dst{}, hop{};
    std::uint32_t plen = 1, metric = 0;
    if (f.size() < 10 || !hex_bytes(f[0], dst) || !hex_u32(f[1], plen) || !hex_bytes(f[4], hop) ||
        !hex_u32(f[5], metric)) {
      return;
    }
    if (plen != 0 || dst != std::array<std::uint8_t, 16>{} || hop == std::array<std::uint8_t, 16>{}) return;
    if (hop[0] == 0xfe && (hop[1] & 0xc0) == 0x80) return;  // fe80::/10 needs a scope
    ip_endpoint e;
    e.family = ip_family::v6;
    e.ip = hop;
    found.emplace_back(metric, e);
  });
  return by_metric(std::move(found));
}

std::vector<ip_endpoint> default_gateways() {
  auto out = parse_ipv4_routes(read_file("/proc/net/route"));
  for (auto& e : parse_ipv6_routes(read_file("/proc/net/ipv6_route"))) out.push_back(e);
  return out;
}

}  // namespace pinhole::client
