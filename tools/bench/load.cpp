#include "load.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "messages.hpp"
#include "pacer.hpp"
#include "rx_harvest.hpp"
#include "stun/sockaddr.hpp"
#include "txid_table.hpp"
#include "xdp_receiver.hpp"

namespace pinhole::bench {
namespace {

constexpr std::size_t tx_slot = 32;               // >= max_request_size
constexpr std::size_t rx_batch = 64;              // datagrams per recvmmsg
constexpr std::size_t rx_slot = 1500;             // larger answers are invalid anyway
constexpr std::size_t table_size = 1U << 20;      // requests tracked in flight
constexpr std::uint64_t gather_ns = 50'000;       // pace in sendmmsg batches of ~50 us of schedule
constexpr int send_rounds = 8;                    // sendmmsg calls per loop turn before reading answers
constexpr std::uint64_t xdp_poll_ns = 1'000'000;  // --xdp-receive: how often the drain looks at the ring
static_assert(table_size <= PB_RX_RING);

std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

class runner {
 public:
  runner(const options& o, const stun::transport_address& server)
      : opt_(o),
        server_(server),
        table_(table_size),
        tx_data_(o.batch * tx_slot),
        tx_iov_(o.batch),
        tx_msgs_(o.batch),
        rx_data_(rx_batch * rx_slot),
        rx_iov_(rx_batch),
        rx_msgs_(rx_batch) {
    std::random_device rd;
    nonce_ = rd();
  }
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;
  ~runner() {
    for (const auto& s : sockets_) ::close(s.fd);
    if (epoll_ >= 0) ::close(epoll_);
  }

  bool open(std::string& error);
  void run(result& r);

 private:
  struct source {
    int fd = -1;
    stun::transport_address local;
  };

  void send_batch(std::size_t count, const pacer& p, result& r);
  void receive(std::uint16_t index, result& r);
  void answered(std::uint64_t seq, std::uint64_t t_rx, result& r);
  void collect_xdp(bool final, result& r);

  const options& opt_;
  stun::transport_address server_;
  std::vector<source> sockets_;
  int epoll_ = -1;
  std::unique_ptr<xdp_receiver> xdp_;  // --xdp-receive
  std::optional<rx_harvest> harvest_;  // reads xdp_'s ring
  txid_table table_;
  std::uint32_t nonce_ = 0;
  std::uint64_t seq_ = 0;  // schedule positions used (sent or failed)
  std::uint16_t next_socket_ = 0;
  std::uint64_t last_send_ = 0;
  std::vector<std::byte> tx_data_;
  std::vector<iovec> tx_iov_;
  std::vector<mmsghdr> tx_msgs_;
  std::vector<std::byte> rx_data_;
  std::vector<iovec> rx_iov_;
  std::vector<mmsghdr> rx_msgs_;
};

bool runner::open(std::string& error) {
  const int family = stun::address_family(server_.fam);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  sockaddr_storage dst;
  const socklen_t dst_len = stun::to_sockaddr(server_, dst);
  for (unsigned i = 0; i < opt_.sockets; ++i) {
    source s;
    s.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      error = std::string("socket: ") + std::strerror(errno);
      return false;
    }
    sockets_.push_back(s);
    // Room for bursts of answers; SO_RCVBUFFORCE goes past rmem_max as root.
    const int rcvbuf = 1 << 20;
    if (::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0) {
      (void)::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    // Connected: the kernel picks the source address, getsockname() tells
    // which, and that is what XOR-MAPPED-ADDRESS must say.
    sockaddr_storage local;
    socklen_t len = sizeof local;
    if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&dst), dst_len) != 0 ||
        ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
      error = "connect to " + opt_.server + ": " + std::strerror(errno);
      return false;
    }
    stun::from_sockaddr(local, sockets_.back().local);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) != 0) {
      error = std::string("epoll_ctl: ") + std::strerror(errno);
      return false;
    }
  }
  for (std::size_t i = 0; i < rx_batch; ++i) rx_iov_[i] = iovec{rx_data_.data() + i * rx_slot, rx_slot};
  if (!opt_.xdp_receive.empty()) {
    std::vector<std::uint16_t> ports;
    for (const auto& s : sockets_) ports.push_back(s.local.port);
    xdp_ = xdp_receiver::open(opt_.xdp_receive, nonce_, server_.port, ports, error);
    if (!xdp_) return false;
    // Given up once half a table behind: the table (and ring) slot stays ours.
    harvest_.emplace(xdp_->ring(), table_size / 2);
  }
  return true;
}

void runner::send_batch(std::size_t count, const pacer& p, result& r) {
  const std::uint16_t index = next_socket_;
  next_socket_ = static_cast<std::uint16_t>((next_socket_ + 1U) % sockets_.size());
  for (std::size_t k = 0; k < count; ++k) {
    std::byte* slot = tx_data_.data() + k * tx_slot;
    const std::size_t size =
        build_request({nonce_, index, seq_ + k}, opt_.fingerprint, std::span<std::byte>(slot, tx_slot));
    tx_iov_[k] = iovec{slot, size};
    tx_msgs_[k] = mmsghdr{};
    tx_msgs_[k].msg_hdr.msg_iov = &tx_iov_[k];
    tx_msgs_[k].msg_hdr.msg_iovlen = 1;
  }
  const std::uint64_t t = now_ns();
  const int n = ::sendmmsg(sockets_[index].fd, tx_msgs_.data(), static_cast<unsigned>(count), MSG_DONTWAIT);
  const std::size_t accepted = n > 0 ? static_cast<std::size_t>(n) : 0;
  for (std::size_t k = 0; k < accepted; ++k) {
    table_.sent(seq_ + k, t);
    if (p.rate() != 0) r.send_lag.record(t > p.time_of(seq_ + k) ? t - p.time_of(seq_ + k) : 0);
  }
  r.sent += accepted;
  seq_ += accepted;
  if (accepted < count) {
    // The datagram at seq_ was refused (full buffer, pending ICMP error):
    // count it and move on; the rest of the batch goes out next turn.
    ++r.send_errors;
    ++seq_;
  }
  last_send_ = t;
}

void runner::receive(std::uint16_t index, result& r) {
  const source& s = sockets_[index];
  for (int round = 0; round < 4; ++round) {
    for (std::size_t i = 0; i < rx_batch; ++i) {
      rx_msgs_[i] = mmsghdr{};
      rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
      rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(s.fd, rx_msgs_.data(), rx_batch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // drained, or a pending ICMP error (now cleared)
    const std::uint64_t t = now_ns();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const auto bytes = std::span<const std::byte>(rx_data_.data() + i * rx_slot, rx_msgs_[i].msg_len);
      txid_fields id;
      if ((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
          check_response(bytes, nonce_, index, s.local, id) != response_check::ok) {
        ++r.invalid;
        continue;
      }
      answered(id.seq, t, r);
    }
    if (static_cast<std::size_t>(n) < rx_batch) return;
  }
}

void runner::answered(std::uint64_t seq, std::uint64_t t_rx, result& r) {
  std::uint64_t t_sent = 0;
  switch (table_.answer(seq, t_sent)) {
    case txid_table::match::first:
      ++r.answered;
      r.latency.record(t_rx > t_sent ? t_rx - t_sent : 0);
      break;
    case txid_table::match::duplicate: ++r.duplicates; break;
    case txid_table::match::unknown: ++r.unknown; break;
  }
}

// --xdp-receive: the answers the XDP program stamped since the last look
// (duplicates and invalid ones it counts itself; added once, at the end).
void runner::collect_xdp(bool final, result& r) {
  if (!harvest_) return;
  harvest_->collect(
      seq_, final, [this](std::uint64_t seq) { return table_.pending(seq); },
      [this, &r](std::uint64_t seq, std::uint64_t t_rx) { answered(seq, t_rx, r); });
  if (final) {
    const rx_totals t = xdp_->totals();
    r.duplicates += t.duplicates;
    r.invalid += t.invalid;
  }
}

void runner::run(result& r) {
  (void)::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // wake on time, not up to 50 us late
  const std::uint64_t duration_ns = static_cast<std::uint64_t>(opt_.duration_s * 1e9);
  const std::uint64_t start = now_ns() + 1'000'000;
  const pacer p(opt_.rate, start);
  const std::uint64_t end_send = start + duration_ns;
  // A generator that fell behind its schedule (descheduled, starved of CPU)
  // may finish the scheduled requests late, but not forever.
  const std::uint64_t send_deadline = end_send + std::max<std::uint64_t>(100'000'000, duration_ns / 10);
  const std::uint64_t total = p.total_in(duration_ns);
  // How many requests to gather per sendmmsg at this rate (at least 1).
  const std::uint64_t gather = std::clamp<std::uint64_t>(opt_.rate * gather_ns / 1'000'000'000U, 1, opt_.batch);
  std::uint64_t stop_send = 0;
  std::uint64_t drain_until = 0;
  std::array<epoll_event, 64> events{};

  for (;;) {
    std::uint64_t now = now_ns();
    const bool sending = seq_ < total && now < (opt_.rate == 0 ? end_send : send_deadline);
    if (sending && now >= start) {
      const std::uint64_t due = std::min(p.due(now), total);
      // Send in bursts of `gather` (the same pattern whether the loop woke
      // for answers, on time or busy-polling), or whatever is due once the
      // oldest due request is gather_ns late, or at the end of the schedule.
      const bool burst =
          due - std::min(due, seq_) >= gather || due == total || (seq_ < due && now >= p.time_of(seq_) + gather_ns);
      for (int round = 0; burst && round < send_rounds && seq_ < due; ++round) {
        send_batch(static_cast<std::size_t>(std::min<std::uint64_t>(due - seq_, opt_.batch)), p, r);
      }
    } else if (!sending && stop_send == 0) {
      stop_send = std::max(now, end_send);
      drain_until = now + std::uint64_t{opt_.drain_ms} * 1'000'000U;
    }
    collect_xdp(false, r);
    now = now_ns();
    if (stop_send != 0 && (now >= drain_until || r.answered >= r.sent)) break;

    std::uint64_t wake = now;  // default: just poll
    if (stop_send != 0) {
      wake = xdp_ ? std::min(drain_until, now + xdp_poll_ns) : drain_until;
    } else if (opt_.rate != 0) {
      // Until the next burst is due (see above); 0 if it already is.
      wake = std::min(std::min(p.time_of(std::min(seq_ + gather - 1, total - 1)), p.time_of(seq_) + gather_ns),
                      send_deadline);
    }
    const std::uint64_t wait = wake > now && !opt_.busy_poll ? wake - now : 0;
    const timespec ts{static_cast<time_t>(wait / 1'000'000'000U), static_cast<long>(wait % 1'000'000'000U)};
    const int n = ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &ts, nullptr);
    for (int i = 0; i < n; ++i) receive(static_cast<std::uint16_t>(events[static_cast<std::size_t>(i)].data.u32), r);
  }
  collect_xdp(true, r);
  r.send_window_s = static_cast<double>(stop_send > start ? stop_send - start : 0) / 1e9;
}

}  // namespace

bool run_load(const options& o, const stun::transport_address& server, result& out, std::string& error) {
  out.server = o.server;
  out.target_rate = o.rate;
  out.duration_s = o.duration_s;
  out.sockets = o.sockets;
  runner rn(o, server);
  if (!rn.open(error)) return false;
  rn.run(out);
  return true;
}

}  // namespace pinhole::bench
