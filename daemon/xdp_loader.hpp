// The optional XDP fast path's control side: loads daemon/xdp/stun_xdp.bpf.c
// (embedded in pinholed at build time), attaches it to the configured
// interfaces with BPF links (detached when pinholed exits, killed or not),
// and keeps its maps in step with the running config: listen ports, SOFTWARE,
// the allow-list, the per-source and global limits, drain mode. Never on the
// per-packet socket path; everything here runs on the control thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"
#include "runtime.hpp"

namespace pinhole::daemon {

class xdp_fast_path {
 public:
  xdp_fast_path() = default;
  ~xdp_fast_path();
  xdp_fast_path(const xdp_fast_path&) = delete;
  xdp_fast_path& operator=(const xdp_fast_path&) = delete;

  // True if this pinholed was built with the XDP fast path (PINHOLE_XDP).
  static bool compiled_in() noexcept;

  // Loads the program, fills its maps from `cfg` and `listeners` and
  // attaches it to every cfg.xdp.interfaces entry. All or nothing: on failure
  // nothing stays attached and `error` holds one line (why BPF is not
  // available: no CAP_BPF/CAP_NET_ADMIN, old kernel, no native XDP, ...).
  // An XDP program of an earlier pinholed (by name) is replaced; another
  // program on the interface is left alone and is an error.
  bool attach(const config& cfg, const std::vector<listener>& listeners, std::string& error);
  bool attached() const noexcept { return !links_.empty(); }
  const std::vector<std::string>& interfaces() const noexcept { return names_; }

  // A reload: the maps follow the new config (ports, SOFTWARE, ACL, limits).
  // Drain mode: `answering` false passes everything up to the socket path.
  void update(const config& cfg, const std::vector<listener>& listeners, bool answering);
  void set_answering(bool on);

  // Detaches from every interface (also done by the destructor).
  void detach() noexcept;

  // Per-CPU counters summed, indexed by enum ph_stat (stun_xdp_abi.h).
  std::vector<std::uint64_t> counters() const;
  // The Prometheus families of the fast path ("" when not attached).
  std::string render_metrics() const;

 private:
  bool fill(const config& cfg, const std::vector<listener>& listeners, bool answering, std::string& error);

  void* obj_ = nullptr;  // struct bpf_object*
  int prog_fd_ = -1;
  std::vector<int> links_;
  std::vector<std::string> names_;
  bool answering_ = true;
  config cfg_;
  std::vector<listener> listeners_;
};

}  // namespace pinhole::daemon
