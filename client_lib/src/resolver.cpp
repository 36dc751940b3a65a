// SRV parsing and ordering, libresolv and getaddrinfo lookups.
#include "resolver.hpp"

#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "address_conv.hpp"
#include "pinhole/errors.hpp"

namespace pinhole::client {

namespace {

constexpr std::uint16_t type_srv = 33;
constexpr std::uint16_t class_in = 1;

class wire {
 public:
  explicit wire(std::span<const std::uint8_t> m) noexcept : m_(m) {}
  bool u16(std::size_t& pos, std::uint16_t& v) const noexcept {
    if (pos + 2 > m_.size()) return false;
    v = static_cast<std::uint16_t>((m_[pos] << 8U) | m_[pos + 1]);
    pos += 2;
    return true;
  }
  // RFC 1035 §4.1.4 name with compression pointers; `pos` moves past the
  // name as it appears at `pos`.
  bool name(std::size_t& pos, std::string* out) const {
    std::size_t p = pos;
    bool jumped = false;
    for (int hops = 0; hops < 64; ++hops) {
      if (p >= m_.size()) return false;
      const std::uint8_t len = m_[p];
      if (len == 0) {
        if (!jumped) pos = p + 1;
        return true;
      }
      if ((len & 0xC0U) == 0xC0U) {
        if (p + 1 >= m_.size()) return false;
        const std::size_t target = ((len & 0x3FU) << 8U) | m_[p + 1];
        if (!jumped) pos = p + 2;
        jumped = true;
        if (target >= p) return false;  // pointers must go backwards: no loops
        p = target;
        continue;
      }
      if ((len & 0xC0U) != 0 || p + 1 + len > m_.size()) return false;
      if (out != nullptr) {
        if (!out->empty()) out->push_back('.');
        out->append(reinterpret_cast<const char*>(m_.data() + p + 1), len);
      }
      p += 1U + len;
    }
    return false;
  }
  std::size_t size() const noexcept { return m_.size(); }

 private:
  std::span<const std::uint8_t> m_;
};

}  // namespace

std::error_code parse_srv_response(std::span<const std::uint8_t> message, std::vector<srv_record>& out) {
  out.clear();
  const auto bad = make_error_code(errc::resolve_failed);
  const wire w(message);
  std::size_t pos = 4;
  std::uint16_t qd = 0, an = 0, ns = 0, ar = 0;
  if (!w.u16(pos, qd) || !w.u16(pos, an) || !w.u16(pos, ns) || !w.u16(pos, ar)) return bad;
  for (unsigned i = 0; i < qd; ++i) {
    if (!w.name(pos, nullptr)) return bad;
    pos += 4;  // QTYPE, QCLASS
  }
  for (unsigned i = 0; i < an; ++i) {
    std::uint16_t type = 0, cls = 0, ttl_hi = 0, ttl_lo = 0, rdlen = 0;
    if (!w.name(pos, nullptr) || !w.u16(pos, type) || !w.u16(pos, cls) || !w.u16(pos, ttl_hi) || !w.u16(pos, ttl_lo) ||
        !w.u16(pos, rdlen)) {
      return bad;
    }
    const std::size_t rdata = pos;
    if (rdata + rdlen > w.size()) return bad;
    if (type == type_srv && cls == class_in) {
      srv_record r;
      std::size_t p = rdata;
      if (!w.u16(p, r.priority) || !w.u16(p, r.weight) || !w.u16(p, r.port) || !w.name(p, &r.target)) return bad;
      if (p > rdata + rdlen) return bad;
      // RFC 2782: "A Target of "." means that the service is decidedly not
      // available at this domain."
      if (!r.target.empty()) out.push_back(std::move(r));
    }
    pos = rdata + rdlen;
  }
  return {};
}

std::vector<srv_record> order_srv(std::vector<srv_record> records,
                                  const std::function<std::uint32_t(std::uint32_t)>& pick) {
  std::stable_sort(records.begin(), records.end(),
                   [](const srv_record& a, const srv_record& b) { return a.priority < b.priority; });
  std::vector<srv_record> out;
  out.reserve(records.size());
  auto first = records.begin();
  while (first != records.end()) {
    auto last = std::find_if(first, records.end(), [&](const srv_record& r) { return r.priority != first->priority; });
    std::vector<srv_record> group(first, last);
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any
    // order, except that all those with weight 0 are placed at the
    // beginning", then pick by running sum against a random number.
    std::stable_partition(group.begin(), group.end(), [](const srv_record& r) { return r.weight == 0; });
    while (!group.empty()) {
      const std::uint32_t total = std::accumulate(group.begin(), group.end(), 0U,
                                                  [](std::uint32_t s, const srv_record& r) { return s + r.weight; });
      const std::uint32_t target = pick(total + 1U);  // 0..total inclusive
      std::uint32_t sum = 0;
      auto it = group.begin();
      for (; it != group.end(); ++it) {
        sum += it->weight;
        if (sum >= target) break;
      }
      if (it == group.end()) it = group.end() - 1;
      out.push_back(std::move(*it));
      group.erase(it);
    }
    first = last;
  }
  return out;
}

std::error_code system_resolver::srv(const std::string& name, std::vector<srv_record>& out) {
  std::vector<std::uint8_t> answer(4096);
  // res_search is thread-safe in glibc (per-thread _res since 2.x).
  const int n = ::res_search(name.c_str(), ns_c_in, ns_t_srv, answer.data(), static_cast<int>(answer.size()));
  if (n < 0) return make_error_code(errc::resolve_failed);
  answer.resize(std::min(answer.size(), static_cast<std::size_t>(n)));
  return parse_srv_response(answer, out);
}

std::error_code system_resolver::host(const std::string& name, std::uint16_t port, std::vector<ip_endpoint>& out) {
  out.clear();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  addrinfo* res = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return make_error_code(errc::resolve_failed);
  }
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addr == nullptr || ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    ip_endpoint e;
    if (!from_sockaddr(ss, e)) continue;
    e.port = port;
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  ::freeaddrinfo(res);
  return out.empty() ? make_error_code(errc::resolve_failed) : std::error_code{};
}

}  // namespace pinhole::client
