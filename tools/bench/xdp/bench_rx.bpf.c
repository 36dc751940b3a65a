/* pinhole-bench's XDP receiver (pinhole-bench --xdp-receive IFACE): on the
 * load generator's own interface, every answer to this run is checked the
 * way tools/bench/messages.cpp's check_response() checks it, time-stamped
 * into the ring slot of its sequence number and dropped. Everything else
 * (ARP, neighbour discovery, other traffic) goes on with XDP_PASS. Built
 * with clang -O2 -g -target bpf; loaded by tools/bench/xdp_receiver.cpp. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

/* libbpf's headers need the kernel's types above. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench_rx_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define STUN_HEADER 20
#define STUN_COOKIE 0x2112A442U
#define BINDING_SUCCESS 0x0101
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define MAX_ATTRIBUTES 16 /* pinholed sends 1-3, coturn 5-6 */

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, PB_RX_RING);
  __type(key, __u32);
  __type(value, struct pb_rx_entry);
} ring SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pb_rx_stats);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pb_rx_config);
} config SEC(".maps");

/* Socket index -> its local port (network order). */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PB_RX_MAX_SOCKETS);
  __type(key, __u32);
  __type(value, __u16);
} ports SEC(".maps");

static __always_inline __u32 rd16(const __u8* b) { return ((__u32)b[0] << 8) | b[1]; }
static __always_inline __u32 rd32(const __u8* b) {
  return ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
}

/* An answer to this run that fails a check: counted, dropped (it is ours;
 * the generator's sockets would have counted it invalid too). */
static __always_inline int invalid(struct pb_rx_stats* st) {
  __sync_fetch_and_add(&st->invalid, 1);
  return XDP_DROP;
}

/* XOR-MAPPED-ADDRESS (RFC 8489 §14.2) at `off` (its value) must name
 * `dst` (4 or 16 bytes, network order) and `dport` (network order): the
 * socket the answer reached, as check_response() requires. */
static __always_inline int xma_matches(struct xdp_md* ctx, __u32 off, __u32 len, const __u8* hdr, const __u8* dst,
                                       int v6, __u16 dport) {
  __u8 v[20];
  if (len != (v6 ? 20U : 8U)) return 0;
  if (v6 ? bpf_xdp_load_bytes(ctx, off, v, 20) : bpf_xdp_load_bytes(ctx, off, v, 8)) return 0;
  if (v[1] != (v6 ? 2 : 1)) return 0;
  const __u16 port = (__u16)(rd16(v + 2) ^ (STUN_COOKIE >> 16));
  if (port != bpf_ntohs(dport)) return 0;
  /* X-Address: the address XOR the cookie (IPv4), XOR the cookie and the
   * transaction ID (IPv6): hdr + 4 holds exactly those 16 bytes. */
  for (int i = 0; i < 16; i++) {
    if (i >= (v6 ? 16 : 4)) break;
    if ((__u8)(v[4 + i] ^ hdr[4 + i]) != dst[i]) return 0;
  }
  return 1;
}

SEC("xdp")
int pinhole_bench_rx(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  struct ethhdr* eth = data;
  if ((void*)(eth + 1) > end) return XDP_PASS;
  __u8 dst[16] = {0};
  int v6 = 0;
  __u32 l4;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr* ip = (void*)(eth + 1);
    if ((void*)(ip + 1) > end) return XDP_PASS;
    if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x3fff)) != 0) return XDP_PASS;
    __builtin_memcpy(dst, &ip->daddr, 4);
    l4 = sizeof(*eth) + sizeof(*ip);
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr* ip6 = (void*)(eth + 1);
    if ((void*)(ip6 + 1) > end) return XDP_PASS;
    if (ip6->nexthdr != IPPROTO_UDP) return XDP_PASS;
    __builtin_memcpy(dst, &ip6->daddr, 16);
    v6 = 1;
    l4 = sizeof(*eth) + sizeof(*ip6);
  } else {
    return XDP_PASS;
  }
  struct udphdr* udp = data + l4;
  if ((void*)(udp + 1) > end) return XDP_PASS;
  __u32 zero = 0;
  const struct pb_rx_config* cfg = bpf_map_lookup_elem(&config, &zero);
  struct pb_rx_stats* st = bpf_map_lookup_elem(&counters, &zero);
  if (!cfg || !st || udp->source != cfg->server_port) return XDP_PASS;
  const __u32 stun = l4 + sizeof(*udp);
  __u8 hdr[STUN_HEADER];
  if (bpf_xdp_load_bytes(ctx, stun, hdr, STUN_HEADER)) return XDP_PASS;
  /* Not this run's (another client on the host, an older run): not ours. */
  if (rd32(hdr + 4) != STUN_COOKIE || rd32(hdr + 8) != cfg->nonce) return XDP_PASS;

  const __u32 udp_len = bpf_ntohs(udp->len);
  const __u32 msg_len = rd16(hdr + 2);
  if (rd16(hdr) != BINDING_SUCCESS || (msg_len & 3) != 0 || udp_len < sizeof(*udp) + STUN_HEADER + msg_len)
    return invalid(st);
  const __u32 socket = rd16(hdr + 12);
  if (socket >= cfg->sockets) return invalid(st);
  const __u16* port = bpf_map_lookup_elem(&ports, &socket);
  if (!port || *port != udp->dest) return invalid(st);

  int mapped = 0;
  __u32 off = 0;
  for (int i = 0; i < MAX_ATTRIBUTES; i++) {
    if (off + 4 > msg_len) break;
    __u8 a[4];
    if (bpf_xdp_load_bytes(ctx, stun + STUN_HEADER + (off & 0xffff), a, 4)) break;
    const __u32 type = rd16(a);
    const __u32 len = rd16(a + 2);
    if (off + 4 + len > msg_len) break;
    if (type == ATTR_XOR_MAPPED_ADDRESS) {
      mapped = xma_matches(ctx, stun + STUN_HEADER + ((off + 4) & 0xffff), len, hdr, dst, v6, udp->dest);
      break;
    }
    off += 4 + ((len + 3) & ~3U);
  }
  if (!mapped) return invalid(st);

  const __u64 seq = ((__u64)rd16(hdr + 14) << 32) | rd32(hdr + 16);
  const __u32 slot = (__u32)seq & (PB_RX_RING - 1);
  struct pb_rx_entry* e = bpf_map_lookup_elem(&ring, &slot);
  if (!e) return XDP_DROP;
  if (e->seq_plus_one == seq + 1) {
    __sync_fetch_and_add(&st->duplicates, 1);
    return XDP_DROP;
  }
  e->rx_ns = bpf_ktime_get_ns();
  /* BPF has no fence; the JIT keeps the two stores in order, which x86's
   * memory model then keeps for the reader (xdp_receiver.cpp). */
  asm volatile("" ::: "memory");
  e->seq_plus_one = seq + 1;
  __sync_fetch_and_add(&st->first, 1);
  return XDP_DROP;
}
