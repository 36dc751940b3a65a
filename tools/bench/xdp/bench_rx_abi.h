/* The maps shared by pinhole-bench's XDP receiver (bench_rx.bpf.c) and its
 * loader (tools/bench/xdp_receiver.cpp). Plain C, included by both.
 *
 * The receiver runs on the load generator's interface: it checks each
 * answer to this run as check_response() does (Binding success, the run's
 * nonce, sent from the server's port, to the port of the socket the
 * transaction ID names, XOR-MAPPED-ADDRESS equal to that socket's address),
 * stamps the receive time into the ring slot of its sequence number and
 * drops the frame. The generator's own receive path (skb, UDP, socket
 * queue, recvmmsg) is then no part of the machine's cost per request. */
#ifndef PINHOLE_BENCH_RX_ABI_H
#define PINHOLE_BENCH_RX_ABI_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u16 pb_u16;
typedef __u32 pb_u32;
typedef __u64 pb_u64;
#else
#include <stdint.h>
typedef uint16_t pb_u16;
typedef uint32_t pb_u32;
typedef uint64_t pb_u64;
#endif

#define PB_RX_RING (1U << 20)  /* ring slots (a power of two): seq & (PB_RX_RING - 1) */
#define PB_RX_MAX_SOCKETS 1024 /* pinhole-bench's --sockets limit */

/* One ring slot (mmap-ed by the generator). The receiver writes rx_ns, then
 * seq_plus_one; a reader that sees seq_plus_one == seq + 1 may read rx_ns. */
struct pb_rx_entry {
  pb_u64 seq_plus_one; /* 0: no answer yet */
  pb_u64 rx_ns;        /* bpf_ktime_get_ns(), i.e. CLOCK_MONOTONIC */
};

/* Counters (mmap-ed; updated with atomic adds). */
struct pb_rx_stats {
  pb_u64 first;      /* first valid answer to a sequence number */
  pb_u64 duplicates; /* a valid answer to an already answered one */
  pb_u64 invalid;    /* carries the run's nonce, fails a check */
};

/* What the generator tells the receiver (network byte order where noted). */
struct pb_rx_config {
  pb_u32 nonce;       /* txid bytes 0-3, as sent */
  pb_u16 server_port; /* network order */
  pb_u16 sockets;     /* entries of `ports` in use */
};

#endif
