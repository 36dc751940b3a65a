/* The maps shared by the XDP fast path (stun_xdp.bpf.c) and its loader
 * (daemon/xdp_loader.cpp). Plain C, included by both. */
#ifndef PINHOLE_STUN_XDP_ABI_H
#define PINHOLE_STUN_XDP_ABI_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u8 ph_u8;
typedef __u16 ph_u16;
typedef __u32 ph_u32;
typedef __u64 ph_u64;
#else
#include <stdint.h>
typedef uint8_t ph_u8;
typedef uint16_t ph_u16;
typedef uint32_t ph_u32;
typedef uint64_t ph_u64;
#endif

#define PH_XDP_SOFTWARE_MAX 128 /* SOFTWARE value bytes the fast path can add */
#define PH_XDP_MAX_PORTS 64     /* listen (family, address, port) entries */
#define PH_XDP_ACL_MAX 1024     /* prefixes per family */
#define PH_XDP_SOURCES 65536    /* per-source limiter entries (LRU) */
#define PH_XDP_LOCAL_MAX 1024   /* the host's own addresses (for wildcard listeners) */

/* Key of the `ports` hash map: a listen address (network order; IPv4 in the
 * first 4 bytes; all zero for a wildcard listener). Also the key of
 * `local_ips` (port 0): the host's addresses, which wildcard listeners hear. */
struct ph_listen_key {
  ph_u8 family; /* 4 or 6 */
  ph_u8 pad;
  ph_u16 port_be;
  ph_u8 ip[16];
};

/* The single entry of the `settings` array map. */
struct ph_settings {
  ph_u32 answering;        /* 0: pass every packet up (drain mode, no listener) */
  ph_u32 acl_v4;           /* 1: the allow-list has IPv4 prefixes; sources not in it go up */
  ph_u32 acl_v6;           /* same for IPv6 */
  ph_u32 software_len;     /* SOFTWARE value length, 0 = omitted */
  ph_u64 src_interval_ns;  /* per-source GCRA: ns between requests, 0 = off */
  ph_u64 src_limit_ns;     /* burst * interval */
  ph_u64 glob_interval_ns; /* global cap: ns between responses, 0 = off */
  ph_u64 glob_limit_ns;
  ph_u8 software[PH_XDP_SOFTWARE_MAX];
};

/* LPM trie keys of the allow-lists. */
struct ph_lpm_v4 {
  ph_u32 prefixlen;
  ph_u8 ip[4];
};
struct ph_lpm_v6 {
  ph_u32 prefixlen;
  ph_u8 ip[16];
};

/* Per-CPU counters (index into the `stats` per-CPU array). */
enum ph_stat {
  PH_ANSWERED_V4 = 0,
  PH_ANSWERED_V6,
  PH_PASS_NOT_OURS,   /* not IP/UDP to a listen port */
  PH_PASS_NOT_BARE,   /* STUN other than a bare Binding request (or not STUN) */
  PH_PASS_IP_OPTIONS, /* IPv4 options or IPv6 extension headers */
  PH_PASS_FRAGMENT,
  PH_PASS_VLAN,
  PH_PASS_BAD_CHECKSUM, /* IPv4 header or UDP checksum wrong (or zero over IPv6) */
  PH_PASS_ACL,          /* source outside the allow-list: the socket path drops and counts it */
  PH_PASS_DISABLED,     /* drain mode or nothing configured */
  PH_PASS_OTHER,        /* frame longer than its IP packet, no room, ... */
  PH_DROP_RATE_LIMITED,
  PH_DROP_GLOBAL_LIMIT,
  PH_STAT_COUNT
};

/* The source identity of the per-source limiter: IPv4 address or IPv6 /64
 * (as daemon/rate_limiter.hpp's source_key). */
struct ph_source_key {
  ph_u64 value;
  ph_u32 ipv6;
  ph_u32 pad;
};

#endif
