// Server entries, DNS resolution and failover ordering.
#include "server_list.hpp"

#include <algorithm>
#include <charconv>

#include "pinhole/errors.hpp"
#include "random.hpp"

namespace pinhole::client {

std::optional<server_spec> parse_server_spec(std::string_view text) {
  if (text.substr(0, 5) == "stun:") text.remove_prefix(5);
  if (text.empty()) return std::nullopt;
  server_spec s;
  std::string_view host = text;
  std::string_view port;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || rest.size() == 1) return std::nullopt;
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return std::nullopt;
  }
  if (host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc{} || ptr != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
    s.port = static_cast<std::uint16_t>(v);
    s.explicit_port = true;
  }
  s.host.assign(host);
  s.literal = ip_endpoint::parse_ip(host, 0).has_value();
  if (!s.literal) {
    // A host name: letters, digits, '-', '.', '_' only.
    const bool ok = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
             c == '_';
    });
    if (!ok) return std::nullopt;
  }
  return s;
}

std::error_code literal_servers(const std::vector<std::string>& specs, std::vector<ip_endpoint>& out) {
  out.clear();
  if (specs.empty()) return make_error_code(errc::no_servers);
  for (const auto& text : specs) {
    const auto spec = parse_server_spec(text);
    if (!spec) return make_error_code(errc::invalid_argument);
    if (!spec->literal) continue;
    const auto e = *ip_endpoint::parse_ip(spec->host, spec->port);
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return {};
}

namespace {

// RFC 8489 §8.1: SRV service "stun", protocol "udp"; RFC 2782 names the
// record _Service._Proto.Name. Adds the targets' addresses in SRV order;
// true if there was at least one.
template <typename Add>
bool add_srv_targets(dns_resolver& dns, const std::string& host, Add& add) {
  std::vector<srv_record> records;
  if (dns.srv("_stun._udp." + host, records) || records.empty()) return false;
  bool found = false;
  for (const auto& r : order_srv(std::move(records), [](std::uint32_t n) { return random_below(n); })) {
    std::vector<ip_endpoint> addrs;
    if (!dns.host(r.target, r.port, addrs)) {
      for (const auto& a : addrs) add(a);
      found = found || !addrs.empty();
    }
  }
  return found;
}

}  // namespace

std::error_code resolve_servers(const std::vector<std::string>& specs, bool use_srv, dns_resolver& dns,
                                std::vector<ip_endpoint>& out, bool* complete) {
  out.clear();
  if (complete != nullptr) *complete = true;
  std::error_code first_error;
  auto add = [&](const ip_endpoint& e) {
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  for (const auto& text : specs) {
    const auto spec = parse_server_spec(text);
    if (!spec) {
      if (!first_error) first_error = make_error_code(errc::invalid_argument);
      if (complete != nullptr) *complete = false;
      continue;
    }
    if (spec->literal) {
      add(*ip_endpoint::parse_ip(spec->host, spec->port));
      continue;
    }
    const bool found = use_srv && !spec->explicit_port && add_srv_targets(dns, spec->host, add);
    if (!found) {
      // RFC 8489 §8.1: without SRV records, fall back to A/AAAA records of
      // the name itself with the default port.
      std::vector<ip_endpoint> addrs;
      if (const auto ec = dns.host(spec->host, spec->port, addrs); ec) {
        if (!first_error) first_error = ec;
        if (complete != nullptr) *complete = false;
        continue;
      }
      for (const auto& a : addrs) add(a);
    }
  }
  if (!out.empty()) return {};
  return first_error ? first_error : make_error_code(errc::no_servers);
}

server_list::server_list(std::vector<ip_endpoint> servers, clock::duration hold_down, clock::duration max_hold_down)
    : servers_(std::move(servers)), health_(servers_.size()), hold_down_(hold_down), max_hold_down_(max_hold_down) {}

std::vector<ip_endpoint> server_list::candidates(ip_family fam, clock::time_point) const {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i].family == fam) idx.push_back(i);
  }
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    const bool da = health_[a].failures > 0;
    const bool db = health_[b].failures > 0;
    if (da != db) return !da;                                  // healthy first, in configured order
    if (da) return health_[a].failures < health_[b].failures;  // then the least failed
    return false;
  });
  std::vector<ip_endpoint> out;
  out.reserve(idx.size());
  for (const auto i : idx) out.push_back(servers_[i]);
  return out;
}

bool server_list::has_family(ip_family fam) const noexcept {
  return std::any_of(servers_.begin(), servers_.end(), [&](const ip_endpoint& s) { return s.family == fam; });
}

bool server_list::mark_failed(const ip_endpoint& s, clock::time_point now) {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (!(servers_[i] == s)) continue;
    auto& h = health_[i];
    const bool was_up = h.failures == 0;
    ++h.failures;
    // Exponential back-off of the re-probe: hold_down, 2x, 4x, ... capped.
    auto wait = hold_down_;
    for (unsigned k = 1; k < h.failures && wait < max_hold_down_; ++k) wait *= 2;
    h.probe_at = now + std::min(wait, max_hold_down_);
    return was_up;
  }
  return false;
}

bool server_list::mark_ok(const ip_endpoint& s) {
  bool recovered = false;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i] == s) {
      recovered = recovered || health_[i].failures > 0;
      health_[i] = {};
    }
  }
  return recovered;
}

void server_list::replace(std::vector<ip_endpoint> servers) {
  std::vector<health> h(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    for (std::size_t j = 0; j < servers_.size(); ++j) {
      if (servers_[j] == servers[i]) h[i] = health_[j];
    }
  }
  servers_ = std::move(servers);
  health_ = std::move(h);
}

bool server_list::is_down(const ip_endpoint& s) const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i] == s) return health_[i].failures > 0;
  }
  return false;
}

std::vector<ip_endpoint> server_list::probe_due(clock::time_point now) const {
  std::vector<ip_endpoint> out;
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (health_[i].failures > 0 && health_[i].probe_at <= now) out.push_back(servers_[i]);
  }
  return out;
}

std::optional<server_list::clock::time_point> server_list::next_probe() const {
  std::optional<clock::time_point> t;
  for (const auto& h : health_) {
    if (h.failures > 0 && (!t || h.probe_at < *t)) t = h.probe_at;
  }
  return t;
}

}  // namespace pinhole::client
