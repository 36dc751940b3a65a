// pinhole-bench --xdp-receive IFACE: the answers are received, checked and
// time-stamped by an XDP program on the generator's own interface
// (xdp/bench_rx.bpf.c) and dropped there, so that the machine's CPU per
// request counts the server and the generator's sending, not the
// generator's socket receive path. The program replaces whatever XDP
// program IFACE runs (the veth lab's XDP_PASS) and the destructor puts that
// one back. Needs root (CAP_BPF, CAP_NET_ADMIN) and a build with PINHOLE_XDP.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "xdp/bench_rx_abi.h"

namespace pinhole::bench {

struct rx_totals {
  std::uint64_t first = 0;       // answers stamped into the ring
  std::uint64_t duplicates = 0;  // valid answers to an already answered request
  std::uint64_t invalid = 0;     // this run's nonce, failed a check (type, socket, XOR-MAPPED-ADDRESS)
};

class xdp_receiver {
 public:
  // Loads the program and attaches it to `iface`. `nonce` is the run's,
  // `server_port` the server's (host order), `socket_ports[i]` the local port
  // of socket i (host order). nullptr + `error` (one line) on failure.
  static std::unique_ptr<xdp_receiver> open(const std::string& iface, std::uint32_t nonce, std::uint16_t server_port,
                                            std::span<const std::uint16_t> socket_ports, std::string& error);
  ~xdp_receiver();
  xdp_receiver(const xdp_receiver&) = delete;
  xdp_receiver& operator=(const xdp_receiver&) = delete;

  // The ring the program writes (PB_RX_RING slots, shared memory).
  std::span<const pb_rx_entry> ring() const noexcept { return {ring_, PB_RX_RING}; }
  rx_totals totals() const noexcept;

 private:
  xdp_receiver() = default;
  bool load(std::string& error);  // opens, loads and maps; the steps of open()
  bool configure(std::uint32_t nonce, std::uint16_t server_port, std::span<const std::uint16_t> socket_ports,
                 std::string& error);
  bool attach(const std::string& iface, std::string& error);
  void* obj_ = nullptr;  // bpf_object
  int ifindex_ = 0;
  std::uint32_t mode_ = 0;  // XDP_FLAGS_*_MODE of the attachment
  int prog_fd_ = -1;
  int old_fd_ = -1;  // the program that was there, put back on destruction
  bool attached_ = false;
  const pb_rx_entry* ring_ = nullptr;
  const pb_rx_stats* stats_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::size_t stats_bytes_ = 0;
};

}  // namespace pinhole::bench
