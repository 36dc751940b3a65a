/* XDP_PASS for every frame: attached by the netns tests and the benchmark to
 * the load generator's end of a veth pair, because veth only takes frames
 * sent with XDP_TX from its peer when an XDP program runs on it. */
#include <linux/bpf.h>

/* libbpf's header needs the kernel's types above. */
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int pinhole_pass(struct xdp_md* ctx) {
  (void)ctx;
  return XDP_PASS;
}
