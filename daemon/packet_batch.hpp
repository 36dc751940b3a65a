// Preallocated recvmmsg/sendmmsg state for one socket of one worker. All
// buffers are sized once at construction: the per-packet path allocates
// nothing. Each received datagram carries its peer and the local address it
// reached; queued responses leave from that local address (PKTINFO).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stun/address.hpp"

namespace pinhole::daemon {

// How datagrams move: recvmmsg/sendmmsg (one system call per batch) or
// recvmsg/sendmsg (one per datagram). `automatic` starts with the batched
// calls and switches for good the first time the kernel answers ENOSYS; the
// environment variable PINHOLE_NO_MMSG=1 turns `automatic` into `single`
// (for tests and benchmarks of the fallback).
enum class io_mode : std::uint8_t { automatic, single };

class packet_batch {
 public:
  // `slot_size`: largest datagram accepted; longer ones are flagged truncated.
  packet_batch(std::size_t batch, std::size_t slot_size, io_mode mode = io_mode::automatic);

  // Bytes a packet_batch(batch, slot_size) allocates (all of it at construction).
  static constexpr std::size_t memory_bytes(std::size_t batch, std::size_t slot_size) noexcept {
    return batch * (2 * slot_size + 2 * (sizeof(mmsghdr) + sizeof(iovec) + sizeof(sockaddr_storage) + control_size) +
                    sizeof(incoming));
  }

  std::size_t capacity() const noexcept { return batch_; }
  std::size_t slot_size() const noexcept { return slot_; }
  // False once the per-datagram fallback is in use.
  bool batched_io() const noexcept { return mmsg_; }

  // Reads up to capacity() datagrams without blocking. Returns how many were
  // read (0 when the socket is drained) or -errno.
  int receive(int fd) noexcept;

  struct incoming {
    std::span<const std::byte> payload;
    bool truncated = false;  // larger than slot_size: must be dropped
    stun::transport_address peer;
    stun::transport_address local;  // destination address of the datagram
    bool has_local = false;
    unsigned ifindex = 0;
  };
  const incoming& at(std::size_t i) const noexcept { return in_[i]; }

  // Output: build response i into tx_buffer(), then queue() it. `tag` is the
  // caller's own (e.g. what to count once the datagram is sent).
  std::span<std::byte> tx_buffer() noexcept;
  void queue(std::size_t size, const stun::transport_address& to, const incoming& via, std::uint8_t tag = 0) noexcept;
  std::size_t queued() const noexcept { return tx_count_; }
  std::size_t queued_bytes() const noexcept { return tx_bytes_; }
  // Sends everything queued with sendmmsg. Returns the number of datagrams
  // the kernel accepted; the rest failed (counted by the caller).
  std::size_t flush(int fd) noexcept;
  // After flush(), for datagram i of the flushed queue (in queue() order,
  // i < the queued() before the flush): did the kernel accept it, its tag
  // and its size. Valid until the next queue().
  bool flushed_ok(std::size_t i) const noexcept { return tx_ok_[i] != 0; }
  std::uint8_t flushed_tag(std::size_t i) const noexcept { return tx_tag_[i]; }
  std::size_t flushed_size(std::size_t i) const noexcept { return tx_iov_[i].iov_len; }

  // One datagram from another socket (RFC 5780 change-request answers).
  static bool send_one(int fd, std::span<const std::byte> data, const stun::transport_address& to) noexcept;

 private:
  static constexpr std::size_t control_size = 64;  // >= CMSG_SPACE(sizeof(in6_pktinfo))

  int receive_single(int fd) noexcept;
  std::size_t flush_single(int fd, std::size_t from) noexcept;

  bool mmsg_ = true;
  std::size_t batch_;
  std::size_t slot_;
  std::vector<std::byte> rx_data_, tx_data_;
  std::vector<mmsghdr> rx_msgs_, tx_msgs_;
  std::vector<iovec> rx_iov_, tx_iov_;
  std::vector<sockaddr_storage> rx_names_, tx_names_;
  std::vector<std::byte> rx_control_, tx_control_;
  std::vector<incoming> in_;
  std::vector<std::uint8_t> tx_ok_, tx_tag_;
  std::size_t tx_count_ = 0;
  std::size_t tx_bytes_ = 0;
};

}  // namespace pinhole::daemon
