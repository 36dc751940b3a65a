/* pinholed's optional XDP fast path: answers bare RFC 8489 Binding requests
 * (no attribute, or FINGERPRINT only) to pinholed's listen ports in the
 * driver with XDP_TX, with the bytes handle_request() would produce. Anything
 * else goes up to the socket path with XDP_PASS. Built with
 * clang -O2 -g -target bpf; loaded by daemon/xdp_loader.cpp. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

/* libbpf's headers need the kernel's types above. */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "crc32_table.h"
#include "stun_xdp_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define IN_MAX 128  /* largest request frame copied: 14 + 40 + 8 + 28 = 90 */
#define OUT_MAX 256 /* largest response frame: 14 + 40 + 8 + 20 + 24 + 132 + 8 = 246 */

struct scratch {
  __u8 in[IN_MAX];
  __u8 out[OUT_MAX];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct ph_settings);
} settings SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PH_XDP_MAX_PORTS);
  __type(key, struct ph_listen_key);
  __type(value, __u32);
} ports SEC(".maps");

/* The host's own addresses (same key layout, port 0): a wildcard listener
 * only hears datagrams to a local address, never ones routed through. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PH_XDP_LOCAL_MAX);
  __type(key, struct ph_listen_key);
  __type(value, __u32);
} local_ips SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, PH_XDP_ACL_MAX);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ph_lpm_v4);
  __type(value, __u32);
} acl_v4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, PH_XDP_ACL_MAX);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct ph_lpm_v6);
  __type(value, __u32);
} acl_v6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, PH_XDP_SOURCES);
  __type(key, struct ph_source_key);
  __type(value, __u64);
} sources SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} global_tat SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PH_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

static __always_inline int count(__u32 what, int action) {
  __u64* v = bpf_map_lookup_elem(&stats, &what);
  if (v) *v += 1;
  return action;
}

static __always_inline __u16 rd16(const __u8* b, __u32 off) { return (__u16)((b[off] << 8) | b[off + 1]); }
static __always_inline void wr16(__u8* b, __u32 off, __u16 v) {
  b[off] = (__u8)(v >> 8);
  b[off + 1] = (__u8)v;
}

/* One's-complement sum of the 16-bit words of b[start, size): the buffers
 * are zero past the frame, so a fixed end gives the frame's sum. */
static __always_inline __u32 sum_in(const __u8* b, __u32 start) {
  __u32 s = 0;
  for (__u32 i = start; i < IN_MAX; i += 2) s += rd16(b, i);
  return s;
}
static __always_inline __u32 sum_out(const __u8* b, __u32 start) {
  __u32 s = 0;
  for (__u32 i = start; i < OUT_MAX; i += 2) s += rd16(b, i);
  return s;
}
/* Sum of the header words b[start, end) (fixed bounds known at compile time). */
static __always_inline __u32 sum_range(const __u8* b, __u32 start, __u32 end) {
  __u32 s = 0;
  for (__u32 i = start; i < end; i += 2) s += rd16(b, i);
  return s;
}
static __always_inline __u16 fold(__u32 s) {
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return (__u16)s;
}

/* CRC-32 of out[start, end) (RFC 8489 §14.7 FINGERPRINT, before the XOR). */
static __always_inline __u32 crc_out(const __u8* b, __u32 start, __u32 end) {
  __u32 c = 0xffffffffU;
  for (__u32 i = start; i < OUT_MAX; i++) {
    if (i >= end) break;
    c = crc32_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
  }
  return ~c;
}
static __always_inline __u32 crc_in(const __u8* b, __u32 start, __u32 end) {
  __u32 c = 0xffffffffU;
  for (__u32 i = start; i < IN_MAX; i++) {
    if (i >= end) break;
    c = crc32_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
  }
  return ~c;
}

/* GCRA (as daemon/rate_limiter.cpp): allowed if the theoretical arrival
 * time, once charged, stays within `limit` of now. Lock-free with CAS. */
static __always_inline int gcra(__u64* tat, __u64 now, __u64 interval, __u64 limit) {
  for (int attempt = 0; attempt < 4; attempt++) {
    __u64 old = *tat;
    __u64 base = old > now ? old : now;
    if (base - now + interval > limit) return 0;
    if (__sync_val_compare_and_swap(tat, old, base + interval) == old) return 1;
  }
  return 1; /* contended four times: fail open, as the socket path's limiter */
}

static __always_inline int allowed_by_limits(const struct ph_settings* s, const __u8* in, __u32 src_off, int v6) {
  __u64 now = bpf_ktime_get_ns();
  if (s->src_interval_ns) {
    struct ph_source_key k = {};
    __u64 v = 0;
    for (int i = 0; i < 8; i++) {
      if (!v6 && i >= 4) break;
      v = (v << 8) | in[src_off + i];
    }
    k.value = v;
    k.ipv6 = v6;
    __u64* tat = bpf_map_lookup_elem(&sources, &k);
    if (!tat) {
      /* A new source: its first request is always within the burst. */
      __u64 fresh = now + s->src_interval_ns;
      bpf_map_update_elem(&sources, &k, &fresh, BPF_NOEXIST);
    } else if (!gcra(tat, now, s->src_interval_ns, s->src_limit_ns)) {
      return PH_DROP_RATE_LIMITED;
    }
  }
  if (s->glob_interval_ns) {
    __u32 zero = 0;
    __u64* tat = bpf_map_lookup_elem(&global_tat, &zero);
    if (tat && !gcra(tat, now, s->glob_interval_ns, s->glob_limit_ns)) return PH_DROP_GLOBAL_LIMIT;
  }
  return -1;
}

static __always_inline int acl_allows(const struct ph_settings* s, const __u8* in, __u32 src_off, int v6) {
  if (!v6) {
    if (!s->acl_v4) return 1;
    struct ph_lpm_v4 k = {.prefixlen = 32};
    __builtin_memcpy(k.ip, in + src_off, 4);
    return bpf_map_lookup_elem(&acl_v4, &k) != 0;
  }
  if (!s->acl_v6) return 1;
  struct ph_lpm_v6 k = {.prefixlen = 128};
  __builtin_memcpy(k.ip, in + src_off, 16);
  return bpf_map_lookup_elem(&acl_v6, &k) != 0;
}

/* Writes the response frame into out[] and returns its length, for a
 * request frame in in[] whose UDP header is at `udp` (34 for IPv4, 54 for
 * IPv6); `fp` says whether the request carried FINGERPRINT. */
static __always_inline __u32 build(const struct ph_settings* s, const __u8* in, __u8* out, __u32 udp, int v6, int fp) {
  const __u32 alen = v6 ? 16 : 4;
  __u32 sw = s->software_len;
  if (sw > PH_XDP_SOFTWARE_MAX) sw = PH_XDP_SOFTWARE_MAX; /* the loader never sets more */
  const __u32 sw_pad = (sw + 3) & ~3U;
  const __u32 stun_len = (4 + 4 + alen) + (sw ? 4 + sw_pad : 0) + (fp ? 8 : 0);
  const __u32 st = udp + 8;
  const __u32 total = st + 20 + stun_len;

  /* Ethernet: back where it came from. */
  __builtin_memcpy(out, in + 6, 6);
  __builtin_memcpy(out + 6, in, 6);
  out[12] = in[12];
  out[13] = in[13];
  if (!v6) {
    out[14] = 0x45;
    out[15] = 0;
    wr16(out, 16, (__u16)(total - 14));
    wr16(out, 18, 0);
    wr16(out, 20, 0x4000); /* DF, as the kernel's UDP socket sends */
    out[22] = 64;
    out[23] = IPPROTO_UDP;
    wr16(out, 24, 0);
    __builtin_memcpy(out + 26, in + 30, 4);
    __builtin_memcpy(out + 30, in + 26, 4);
    wr16(out, 24, (__u16)~fold(sum_range(out, 14, 34)));
  } else {
    out[14] = 0x60;
    out[15] = 0;
    wr16(out, 16, 0);
    wr16(out, 18, (__u16)(total - 54));
    out[20] = IPPROTO_UDP;
    out[21] = 64;
    __builtin_memcpy(out + 22, in + 38, 16);
    __builtin_memcpy(out + 38, in + 22, 16);
  }
  /* UDP: ports swapped. */
  out[udp] = in[udp + 2];
  out[udp + 1] = in[udp + 3];
  out[udp + 2] = in[udp];
  out[udp + 3] = in[udp + 1];
  wr16(out, udp + 4, (__u16)(total - udp));
  wr16(out, udp + 6, 0);

  /* STUN: Binding success response, the request's cookie and transaction ID. */
  wr16(out, st, 0x0101);
  wr16(out, st + 2, (__u16)stun_len);
  __builtin_memcpy(out + st + 4, in + st + 4, 16);
  /* RFC 8489 §14.2: XOR-MAPPED-ADDRESS, port XOR the cookie's top 16 bits,
   * address XOR the cookie (IPv4) or cookie + transaction ID (IPv6). */
  const __u32 src_ip = v6 ? 22 : 26;
  __u32 p = st + 20;
  wr16(out, p, 0x0020);
  wr16(out, p + 2, (__u16)(4 + alen));
  out[p + 4] = 0;
  out[p + 5] = v6 ? 2 : 1;
  out[p + 6] = in[udp] ^ 0x21;
  out[p + 7] = in[udp + 1] ^ 0x12;
  if (v6) {
    for (__u32 i = 0; i < 16; i++) out[p + 8 + i] = in[src_ip + i] ^ in[st + 4 + i];
  } else {
    for (__u32 i = 0; i < 4; i++) out[p + 8 + i] = in[src_ip + i] ^ in[st + 4 + i];
  }
  p += 8 + alen;
  if (sw) {
    wr16(out, p, 0x8022);
    wr16(out, p + 2, (__u16)sw);
    /* The loader zero-fills software[] past its length: the padding. */
    __builtin_memcpy(out + p + 4, s->software, PH_XDP_SOFTWARE_MAX);
    p += 4 + sw_pad;
  }
  if (fp) {
    /* RFC 8489 §14.7: "the CRC-32 of the STUN message up to (but excluding)
     * the FINGERPRINT attribute itself, XOR'ed with the 32-bit value
     * 0x5354554e", the header length already counting FINGERPRINT. */
    const __u32 crc = crc_out(out, st, p) ^ 0x5354554eU;
    wr16(out, p, 0x8028);
    wr16(out, p + 2, 4);
    wr16(out, p + 4, (__u16)(crc >> 16));
    wr16(out, p + 6, (__u16)crc);
  }
  /* UDP checksum over the pseudo-header (RFC 768, RFC 8200 §8.1). */
  const __u32 ulen = total - udp;
  __u32 sum = (v6 ? sum_range(out, 22, 54) : sum_range(out, 26, 34)) + IPPROTO_UDP + ulen + sum_out(out, udp);
  __u16 c = (__u16)~fold(sum);
  wr16(out, udp + 6, c ? c : 0xffff);
  return total;
}

/* Validates the request frame in[0, len) with UDP at `udp`; returns a
 * PH_PASS_* reason or -1 when it is a bare Binding request to answer, with
 * *fp set when it carries FINGERPRINT. */
static __always_inline int check(const __u8* in, __u32 len, __u32 udp, int v6, int* fp) {
  const __u32 st = udp + 8;
  if (len < st + 20) return PH_PASS_NOT_BARE;
  const __u32 ulen = rd16(in, udp + 4);
  const __u32 iplen = v6 ? rd16(in, 18) + 40U : rd16(in, 16);
  if (iplen + 14 != len || ulen + udp != len) return PH_PASS_OTHER; /* trailer or inconsistent lengths */
  /* RFC 8489 §6: a Binding request (0x0001) with the magic cookie. */
  if (rd16(in, st) != 0x0001 || in[st + 4] != 0x21 || in[st + 5] != 0x12 || in[st + 6] != 0xa4 || in[st + 7] != 0x42)
    return PH_PASS_NOT_BARE;
  const __u32 slen = rd16(in, st + 2);
  if (slen != len - st - 20) return PH_PASS_NOT_BARE;
  if (slen == 8) {
    if (rd16(in, st + 20) != 0x8028 || rd16(in, st + 22) != 4) return PH_PASS_NOT_BARE;
    *fp = 1;
  } else if (slen != 0) {
    return PH_PASS_NOT_BARE;
  }
  /* Checksums: a datagram the kernel would discard is not answered here. */
  if (!v6 && fold(sum_range(in, 14, 34)) != 0xffff) return PH_PASS_BAD_CHECKSUM;
  const __u16 ucsum = rd16(in, udp + 6);
  if (ucsum == 0) {
    /* RFC 8200 §8.1: IPv6 receivers "MUST discard UDP packets containing a zero checksum". */
    if (v6) return PH_PASS_BAD_CHECKSUM;
  } else {
    __u32 sum = (v6 ? sum_range(in, 22, 54) : sum_range(in, 26, 34)) + IPPROTO_UDP + ulen + sum_in(in, udp);
    if (fold(sum) != 0xffff) return PH_PASS_BAD_CHECKSUM;
  }
  if (*fp) {
    const __u32 want = crc_in(in, st, st + 20) ^ 0x5354554eU;
    const __u32 got = ((__u32)rd16(in, st + 24) << 16) | rd16(in, st + 26);
    if (want != got) return PH_PASS_NOT_BARE; /* the socket path drops it as malformed */
  }
  return -1;
}

static __always_inline int is_listened(const void* dst_ip, __u16 port_be, int v6) {
  struct ph_listen_key k = {};
  k.family = v6 ? 6 : 4;
  if (v6)
    __builtin_memcpy(k.ip, dst_ip, 16);
  else
    __builtin_memcpy(k.ip, dst_ip, 4);
  k.port_be = port_be;
  if (bpf_map_lookup_elem(&ports, &k)) return 1; /* a listener on this very address */
  k.port_be = 0;
  if (!bpf_map_lookup_elem(&local_ips, &k)) return 0; /* not ours: routed through, or not local */
  __builtin_memset(k.ip, 0, 16);
  k.port_be = port_be;
  return bpf_map_lookup_elem(&ports, &k) != 0; /* wildcard listener */
}

SEC("xdp")
int pinhole_stun(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* end = (void*)(long)ctx->data_end;
  const __u8* eth = data;
  if (data + 14 > end) return count(PH_PASS_NOT_OURS, XDP_PASS);
  const __u16 proto = (__u16)((eth[12] << 8) | eth[13]);
  if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) return count(PH_PASS_VLAN, XDP_PASS);
  int v6;
  __u32 udp;
  if (proto == ETH_P_IP) {
    const __u8* ip = data + 14;
    if (data + 34 > end || ip[9] != IPPROTO_UDP) return count(PH_PASS_NOT_OURS, XDP_PASS);
    if ((ip[6] & 0x3f) || ip[7]) return count(PH_PASS_FRAGMENT, XDP_PASS);
    if (ip[0] != 0x45) return count(PH_PASS_IP_OPTIONS, XDP_PASS);
    if (data + 42 > end) return count(PH_PASS_NOT_OURS, XDP_PASS);
    if (!is_listened(ip + 16, *(const __u16*)(data + 36), 0)) return count(PH_PASS_NOT_OURS, XDP_PASS);
    v6 = 0;
    udp = 34;
  } else if (proto == ETH_P_IPV6) {
    const __u8* ip = data + 14;
    if (data + 62 > end) return count(PH_PASS_NOT_OURS, XDP_PASS);
    const __u8 nh = ip[6];
    if (nh == 44) return count(PH_PASS_FRAGMENT, XDP_PASS);
    if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 50 || nh == 135 || nh == 139 || nh == 140)
      return count(PH_PASS_IP_OPTIONS, XDP_PASS);
    if (nh != IPPROTO_UDP) return count(PH_PASS_NOT_OURS, XDP_PASS);
    if (!is_listened(ip + 24, *(const __u16*)(data + 56), 1)) return count(PH_PASS_NOT_OURS, XDP_PASS);
    v6 = 1;
    udp = 54;
  } else {
    return count(PH_PASS_NOT_OURS, XDP_PASS);
  }
  /* Group-addressed frames (broadcast, multicast) are the socket path's. */
  if (eth[0] & 1) return count(PH_PASS_OTHER, XDP_PASS);

  __u32 zero = 0;
  const struct ph_settings* s = bpf_map_lookup_elem(&settings, &zero);
  if (!s || !s->answering) return count(PH_PASS_DISABLED, XDP_PASS);
  struct scratch* sc = bpf_map_lookup_elem(&scratch_map, &zero);
  if (!sc) return count(PH_PASS_OTHER, XDP_PASS);
  const __u32 len = (__u32)(end - data);
  if (len > 14 + 40 + 8 + 28) return count(PH_PASS_NOT_BARE, XDP_PASS);
  /* Zero past the frame: the checksum sums run over the whole buffers. */
  __builtin_memset(sc->in, 0, IN_MAX);
  __builtin_memset(sc->out, 0, OUT_MAX);
  if (len < 62 || bpf_xdp_load_bytes(ctx, 0, sc->in, len) != 0) return count(PH_PASS_NOT_BARE, XDP_PASS);

  int fp = 0;
  const int why = check(sc->in, len, udp, v6, &fp);
  if (why >= 0) return count((__u32)why, XDP_PASS);
  const __u32 src_off = v6 ? 22 : 26;
  if (!acl_allows(s, sc->in, src_off, v6)) return count(PH_PASS_ACL, XDP_PASS);
  const int limited = allowed_by_limits(s, sc->in, src_off, v6);
  if (limited >= 0) return count((__u32)limited, XDP_DROP);

  const __u32 total = build(s, sc->in, sc->out, udp, v6, fp);
  if (total > OUT_MAX || total <= len) return count(PH_PASS_OTHER, XDP_PASS);
  /* Grow at the head (growing the tail is not possible on every driver, veth
   * included), then write the whole frame. */
  if (bpf_xdp_adjust_head(ctx, -(int)(total - len)) != 0) return count(PH_PASS_OTHER, XDP_PASS);
  if (bpf_xdp_store_bytes(ctx, 0, sc->out, total) != 0) return count(PH_PASS_OTHER, XDP_DROP);
  return count(v6 ? PH_ANSWERED_V6 : PH_ANSWERED_V4, XDP_TX);
}
