#include "xdp_loader.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "log.hpp"
#include "rate_limiter.hpp"
#include "xdp/stun_xdp_abi.h"

extern "C" {
extern const unsigned char pinhole_stun_xdp_obj[];
extern const unsigned long pinhole_stun_xdp_obj_size;
}

namespace pinhole::daemon {
namespace {

constexpr const char* prog_name = "pinhole_stun";

bpf_object* object(void* p) noexcept { return static_cast<bpf_object*>(p); }

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf's own messages (verifier logs included) at debug level only: the
// one line an operator sees is attach()'s error.
__attribute__((format(printf, 2, 0))) int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  const int n = std::vsnprintf(line, sizeof line, fmt, args);
  std::string text(line, n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log(log_level::debug, "libbpf", {{"message", text}});
  return 0;
}

int map_fd(void* obj, const char* name) { return bpf_object__find_map_fd_by_name(object(obj), name); }

// Removes every key of a hash/LPM map (keys of at most 64 bytes).
void clear_map(int fd) {
  std::array<unsigned char, 64> key{};
  while (bpf_map_get_next_key(fd, nullptr, key.data()) == 0) {
    if (bpf_map_delete_elem(fd, key.data()) != 0) break;
  }
}

// GCRA parameters as daemon/rate_limiter.cpp derives them (in ns here).
void gcra_params(double rate, double burst, std::uint64_t& interval, std::uint64_t& limit) {
  interval = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(1e9 / rate)));
  const double l = std::ceil(burst * static_cast<double>(interval));
  limit = l >= 9e18 ? std::uint64_t{9000000000000000000ULL} : static_cast<std::uint64_t>(l);
  limit = std::max(limit, interval);
}

// The interface's current XDP program id, 0 if none.
std::uint32_t attached_id(int ifindex) {
  std::uint32_t id = 0;
  if (bpf_xdp_query_id(ifindex, 0, &id) != 0) return 0;
  return id;
}

std::string prog_name_of(std::uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return {};
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  std::string name;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) name = info.name;
  ::close(fd);
  return name;
}

// The host's addresses into `local_ips` (read again on every reload).
void fill_local_addresses(int fd) {
  clear_map(fd);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    ph_listen_key k{};
    if (i->ifa_addr->sa_family == AF_INET) {
      k.family = 4;
      sockaddr_in a{};
      std::memcpy(&a, i->ifa_addr, sizeof a);
      std::memcpy(k.ip, &a.sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      k.family = 6;
      sockaddr_in6 a{};
      std::memcpy(&a, i->ifa_addr, sizeof a);
      std::memcpy(k.ip, &a.sin6_addr, 16);
    } else {
      continue;
    }
    const std::uint32_t one = 1;
    bpf_map_update_elem(fd, &k, &one, BPF_ANY);
  }
  ::freeifaddrs(list);
}

bool fits_fast_path(const config& cfg) { return !cfg.auth.required && cfg.software.size() <= PH_XDP_SOFTWARE_MAX; }

}  // namespace

bool xdp_fast_path::compiled_in() noexcept { return true; }

xdp_fast_path::~xdp_fast_path() { detach(); }

void xdp_fast_path::detach() noexcept {
  for (int fd : links_) ::close(fd);  // closing the last link fd detaches
  links_.clear();
  names_.clear();
  if (obj_ != nullptr) bpf_object__close(object(obj_));
  obj_ = nullptr;
  prog_fd_ = -1;
}

bool xdp_fast_path::attach(const config& cfg, const std::vector<listener>& listeners, std::string& error) {
  detach();
  libbpf_set_print(libbpf_print);
  bpf_object_open_opts opts{};
  opts.sz = sizeof opts;
  opts.object_name = "pinhole_stun_xdp";
  bpf_object* obj = bpf_object__open_mem(pinhole_stun_xdp_obj, pinhole_stun_xdp_obj_size, &opts);
  if (obj == nullptr) {
    error = "cannot open the BPF object: " + errno_text(errno);
    return false;
  }
  obj_ = obj;
  if (const int rc = bpf_object__load(obj); rc != 0) {
    error = "cannot load the XDP program (needs CAP_BPF and CAP_NET_ADMIN, Linux >= 5.18): " + errno_text(rc);
    detach();
    return false;
  }
  prog_fd_ = bpf_program__fd(bpf_object__find_program_by_name(obj, prog_name));
  if (prog_fd_ < 0 || !fill(cfg, listeners, true, error)) {
    if (error.empty()) error = "the BPF object has no program " + std::string(prog_name);
    detach();
    return false;
  }
  const std::uint32_t mode = cfg.xdp.mode == "generic" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
  for (const auto& name : cfg.xdp.interfaces) {
    const auto ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
    if (ifindex == 0) {
      error = "no interface " + name;
      detach();
      return false;
    }
    // A program left by a pinholed that did not detach (an older version
    // attached without a link): replace it. Anyone else's stays.
    if (const std::uint32_t old = attached_id(ifindex); old != 0) {
      const std::string owner = prog_name_of(old);
      if (owner != prog_name) {
        error = name;
        error.append(" already has an XDP program (\"")
            .append(owner)
            .append("\", id ")
            .append(std::to_string(old))
            .append(")");
        detach();
        return false;
      }
      bpf_xdp_detach(ifindex, 0, nullptr);
      log(log_level::info, "xdp_replaced", {{"interface", name}, {"old_id", std::to_string(old)}});
    }
    bpf_link_create_opts lopts{};
    lopts.sz = sizeof lopts;
    lopts.flags = mode;
    const int link = bpf_link_create(prog_fd_, ifindex, BPF_XDP, &lopts);
    if (link < 0) {
      error =
          "cannot attach XDP (" + cfg.xdp.mode + ") to " + name + ": " + errno_text(link) +
          (link == -EOPNOTSUPP || link == -EINVAL ? " (no native XDP in this driver? try \"mode\": \"generic\")" : "");
      detach();
      return false;
    }
    links_.push_back(link);
    names_.push_back(name);
  }
  if (links_.empty()) {
    error = "no interface to attach to";
    detach();
    return false;
  }
  return true;
}

bool xdp_fast_path::fill(const config& cfg, const std::vector<listener>& listeners, bool answering,
                         std::string& error) {
  cfg_ = cfg;
  listeners_ = listeners;
  answering_ = answering;
  const int ports = map_fd(obj_, "ports");
  const int settings = map_fd(obj_, "settings");
  const int v4 = map_fd(obj_, "acl_v4");
  const int v6 = map_fd(obj_, "acl_v6");
  const int local = map_fd(obj_, "local_ips");
  if (ports < 0 || settings < 0 || v4 < 0 || v6 < 0 || local < 0) {
    error = "the BPF object lacks its maps";
    return false;
  }
  // Stop answering while the maps change, then publish the settings last.
  ph_settings s{};
  const std::uint32_t zero = 0;
  bpf_map_update_elem(settings, &zero, &s, BPF_ANY);

  // Only plain Binding listeners: RFC 5780 roles add attributes (and may
  // answer from another socket), so their requests stay with the socket path.
  fill_local_addresses(local);
  clear_map(ports);
  std::size_t n = 0;
  for (const auto& l : listeners) {
    if (l.role != socket_role::single || n >= PH_XDP_MAX_PORTS) continue;
    ph_listen_key k{};
    const bool is4 = l.bound.fam == stun::family::ipv4;
    k.family = is4 ? 4 : 6;
    k.port_be = htons(l.bound.port);
    std::memcpy(k.ip, l.bound.ip.data(), is4 ? 4 : 16);
    const std::uint32_t one = 1;
    if (bpf_map_update_elem(ports, &k, &one, BPF_ANY) == 0) ++n;
  }

  clear_map(v4);
  clear_map(v6);
  for (const auto& setting : cfg.allow) {
    if (!setting.valid()) continue;
    const ip_prefix& p = setting.value();
    const std::uint32_t one = 1;
    if (p.family == stun::family::ipv4) {
      ph_lpm_v4 k{p.length, {}};
      std::memcpy(k.ip, p.ip.data(), 4);
      bpf_map_update_elem(v4, &k, &one, BPF_ANY);
    } else {
      ph_lpm_v6 k{p.length, {}};
      std::memcpy(k.ip, p.ip.data(), 16);
      bpf_map_update_elem(v6, &k, &one, BPF_ANY);
    }
  }
  // A non-empty list denies every source outside it, of either family: the
  // socket path drops and counts those.
  s.acl_v4 = s.acl_v6 = cfg.allow.empty() ? 0U : 1U;

  const auto& rl = cfg.rate_limit;
  if (rl.per_ip_rate > 0) {
    gcra_params(rl.per_ip_rate, rl.per_ip_burst > 0 ? rl.per_ip_burst : rate_limiter::default_burst(rl.per_ip_rate),
                s.src_interval_ns, s.src_limit_ns);
  }
  if (rl.global_rate > 0)
    gcra_params(rl.global_rate, std::max(32.0, std::ceil(rl.global_rate / 10)), s.glob_interval_ns, s.glob_limit_ns);
  if (fits_fast_path(cfg)) {
    s.software_len = static_cast<std::uint32_t>(cfg.software.size());
    std::memcpy(s.software, cfg.software.data(), cfg.software.size());
  } else {
    log(log_level::warning, "xdp_passing_all",
        {{"reason", cfg.auth.required ? "auth.required: every request is checked by the socket path"
                                      : "software longer than 128 bytes"}});
  }
  s.answering = answering && n > 0 && fits_fast_path(cfg) ? 1U : 0U;
  if (bpf_map_update_elem(settings, &zero, &s, BPF_ANY) != 0) {
    error = "cannot update the XDP settings map: " + errno_text(errno);
    return false;
  }
  return true;
}

void xdp_fast_path::update(const config& cfg, const std::vector<listener>& listeners, bool answering) {
  if (obj_ == nullptr) return;
  std::string error;
  if (!fill(cfg, listeners, answering, error)) log(log_level::error, "xdp_update_failed", {{"error", error}});
}

void xdp_fast_path::set_answering(bool on) {
  if (obj_ == nullptr || on == answering_) return;
  const config cfg = cfg_;
  const std::vector<listener> ls = listeners_;
  update(cfg, ls, on);
}

std::vector<std::uint64_t> xdp_fast_path::counters() const {
  std::vector<std::uint64_t> out(PH_STAT_COUNT, 0);
  if (obj_ == nullptr) return out;
  const int fd = map_fd(obj_, "stats");
  const int cpus = libbpf_num_possible_cpus();
  if (fd < 0 || cpus <= 0) return out;
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(cpus));
  for (std::uint32_t i = 0; i < PH_STAT_COUNT; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) continue;
    for (const auto v : per_cpu) out[i] += v;
  }
  return out;
}

}  // namespace pinhole::daemon
