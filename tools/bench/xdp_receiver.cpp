#include "xdp_receiver.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

extern "C" {
extern const unsigned char pinhole_bench_rx_obj[];
extern const unsigned long pinhole_bench_rx_obj_size;
}

namespace pinhole::bench {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf's warnings (a verifier log among them) to stderr; its chatter not.
__attribute__((format(printf, 2, 0))) int warnings_only(enum libbpf_print_level level, const char* fmt, va_list args) {
  return level == LIBBPF_WARN ? std::vfprintf(stderr, fmt, args) : 0;
}

std::size_t page_round(std::size_t n) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

// The attach mode of the program on `ifindex` (0 if none), as XDP_FLAGS_*.
std::uint32_t current_mode(int ifindex, std::uint32_t& prog_id) {
  bpf_xdp_query_opts q{};
  q.sz = sizeof q;
  prog_id = 0;
  if (bpf_xdp_query(ifindex, 0, &q) != 0) return 0;
  prog_id = q.prog_id;
  switch (q.attach_mode) {
    case XDP_ATTACHED_DRV: return XDP_FLAGS_DRV_MODE;
    case XDP_ATTACHED_SKB: return XDP_FLAGS_SKB_MODE;
    case XDP_ATTACHED_HW: return XDP_FLAGS_HW_MODE;
    default: return 0;
  }
}

}  // namespace

std::unique_ptr<xdp_receiver> xdp_receiver::open(const std::string& iface, std::uint32_t nonce,
                                                 std::uint16_t server_port, std::span<const std::uint16_t> socket_ports,
                                                 std::string& error) {
  std::unique_ptr<xdp_receiver> rx(new xdp_receiver);
  rx->ifindex_ = static_cast<int>(::if_nametoindex(iface.c_str()));
  if (rx->ifindex_ == 0) {
    error = "--xdp-receive: no interface " + iface;
    return nullptr;
  }
  if (socket_ports.size() > PB_RX_MAX_SOCKETS) {
    error = "--xdp-receive: at most " + std::to_string(PB_RX_MAX_SOCKETS) + " sockets";
    return nullptr;
  }
  if (!rx->load(error) || !rx->configure(nonce, server_port, socket_ports, error) || !rx->attach(iface, error)) {
    error.insert(0, "--xdp-receive: ");
    return nullptr;
  }
  return rx;
}

bool xdp_receiver::load(std::string& error) {
  libbpf_set_print(warnings_only);
  bpf_object_open_opts opts{};
  opts.sz = sizeof opts;
  opts.object_name = "pinhole_bench_rx";
  auto* obj = bpf_object__open_mem(pinhole_bench_rx_obj, pinhole_bench_rx_obj_size, &opts);
  if (obj == nullptr) {
    error = "cannot open the BPF object: " + errno_text(errno);
    return false;
  }
  obj_ = obj;
  if (const int rc = bpf_object__load(obj); rc != 0) {
    error = "cannot load the XDP program (needs root: CAP_BPF, CAP_NET_ADMIN): " + errno_text(rc);
    return false;
  }
  prog_fd_ = bpf_program__fd(bpf_object__find_program_by_name(obj, "pinhole_bench_rx"));
  const int ring_fd = bpf_object__find_map_fd_by_name(obj, "ring");
  const int stats_fd = bpf_object__find_map_fd_by_name(obj, "counters");
  if (prog_fd_ < 0 || ring_fd < 0 || stats_fd < 0) {
    error = "the BPF object lacks its program or maps";
    return false;
  }
  // Mmapable arrays lay their values out back to back (value size rounded to 8).
  ring_bytes_ = page_round(sizeof(pb_rx_entry) * PB_RX_RING);
  stats_bytes_ = page_round(sizeof(pb_rx_stats));
  void* ring = ::mmap(nullptr, ring_bytes_, PROT_READ, MAP_SHARED, ring_fd, 0);
  void* stats = ::mmap(nullptr, stats_bytes_, PROT_READ, MAP_SHARED, stats_fd, 0);
  if (ring == MAP_FAILED || stats == MAP_FAILED) {
    error = "cannot map the ring: " + errno_text(errno);
    if (ring != MAP_FAILED) ::munmap(ring, ring_bytes_);
    if (stats != MAP_FAILED) ::munmap(stats, stats_bytes_);
    return false;
  }
  ring_ = static_cast<const pb_rx_entry*>(ring);
  stats_ = static_cast<const pb_rx_stats*>(stats);
  return true;
}

bool xdp_receiver::configure(std::uint32_t nonce, std::uint16_t server_port,
                             std::span<const std::uint16_t> socket_ports, std::string& error) {
  auto* obj = static_cast<bpf_object*>(obj_);
  const int config_fd = bpf_object__find_map_fd_by_name(obj, "config");
  const int ports_fd = bpf_object__find_map_fd_by_name(obj, "ports");
  const std::uint32_t zero = 0;
  const pb_rx_config cfg{nonce, htons(server_port), static_cast<pb_u16>(socket_ports.size())};
  bool filled = config_fd >= 0 && ports_fd >= 0 && bpf_map_update_elem(config_fd, &zero, &cfg, BPF_ANY) == 0;
  for (std::uint32_t i = 0; filled && i < socket_ports.size(); ++i) {
    const std::uint16_t port = htons(socket_ports[i]);
    filled = bpf_map_update_elem(ports_fd, &i, &port, BPF_ANY) == 0;
  }
  if (!filled) error = "cannot fill the maps: " + errno_text(errno);
  return filled;
}

// In place of the interface's program (veth needs one on this end for the
// server's XDP_TX to arrive), in its mode; else native, else generic.
bool xdp_receiver::attach(const std::string& iface, std::string& error) {
  std::uint32_t old_id = 0;
  mode_ = current_mode(ifindex_, old_id);
  bpf_xdp_attach_opts aopts{};
  aopts.sz = sizeof aopts;
  int rc = 0;
  if (old_id != 0) {
    old_fd_ = bpf_prog_get_fd_by_id(old_id);
    if (old_fd_ < 0) {
      error = "cannot take over " + iface + "'s XDP program: " + errno_text(errno);
      return false;
    }
    aopts.old_prog_fd = old_fd_;
    rc = bpf_xdp_attach(ifindex_, prog_fd_, mode_ | XDP_FLAGS_REPLACE, &aopts);
  } else {
    mode_ = XDP_FLAGS_DRV_MODE;
    rc = bpf_xdp_attach(ifindex_, prog_fd_, mode_ | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
    if (rc != 0) {
      mode_ = XDP_FLAGS_SKB_MODE;
      rc = bpf_xdp_attach(ifindex_, prog_fd_, mode_ | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
    }
  }
  if (rc != 0) {
    error = "cannot attach to " + iface + ": " + errno_text(rc) +
            (rc == -EBUSY ? " (its XDP program is held by a BPF link, e.g. pinholed --xdp)" : "");
    return false;
  }
  attached_ = true;
  return true;
}

xdp_receiver::~xdp_receiver() {
  if (attached_) {
    bpf_xdp_attach_opts aopts{};
    aopts.sz = sizeof aopts;
    aopts.old_prog_fd = prog_fd_;
    if (old_fd_ >= 0) {
      (void)bpf_xdp_attach(ifindex_, old_fd_, mode_ | XDP_FLAGS_REPLACE, &aopts);
    } else {
      (void)bpf_xdp_detach(ifindex_, mode_, &aopts);
    }
  }
  if (old_fd_ >= 0) ::close(old_fd_);
  if (ring_ != nullptr) ::munmap(const_cast<pb_rx_entry*>(ring_), ring_bytes_);
  if (stats_ != nullptr) ::munmap(const_cast<pb_rx_stats*>(stats_), stats_bytes_);
  if (obj_ != nullptr) bpf_object__close(static_cast<bpf_object*>(obj_));
}

rx_totals xdp_receiver::totals() const noexcept {
  rx_totals t;
  t.first = __atomic_load_n(&stats_->first, __ATOMIC_ACQUIRE);
  t.duplicates = __atomic_load_n(&stats_->duplicates, __ATOMIC_ACQUIRE);
  t.invalid = __atomic_load_n(&stats_->invalid, __ATOMIC_ACQUIRE);
  return t;
}

}  // namespace pinhole::bench
