// Network change detection on Linux: an rtnetlink (NETLINK_ROUTE) socket
// subscribed to link, address and route changes (IPv4 and IPv6), read on the
// port manager's io thread. A burst of messages (an address removal brings
// its routes down with it, a DHCP renewal replaces both) is debounced into
// one callback. The parser is pure (netmon_parse) so it is tested with
// crafted messages; it never reads past the buffer it is given.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <system_error>
#include <vector>

namespace pinhole::client {

// What one datagram read from the netlink socket said.
struct netmon_summary {
  unsigned links = 0;           // RTM_NEWLINK / RTM_DELLINK
  unsigned addresses = 0;       // RTM_NEWADDR / RTM_DELADDR
  unsigned routes = 0;          // RTM_NEWROUTE / RTM_DELROUTE that can carry traffic (not local/broadcast/cloned)
  unsigned default_routes = 0;  // of those, default routes (prefix length 0)
  unsigned ignored = 0;         // well-formed messages of no interest (NLMSG_DONE, local routes, other types)
  unsigned malformed = 0;       // truncated headers or payloads: parsing stops at the first one
  bool overrun = false;         // NLMSG_ERROR with ENOBUFS: the kernel dropped messages
  bool changed() const noexcept { return links + addresses + routes > 0 || overrun; }
};

// Parses a datagram of netlink messages (struct nlmsghdr, NLMSG_ALIGN'ed).
// Bad input gives a defined answer: counted as malformed, never read past.
netmon_summary netmon_parse(std::span<const std::byte> datagram) noexcept;

class netmon {
 public:
  using changed_fn = std::function<void()>;
  // `debounce`: the callback runs this long after the first message of a
  // burst, once for the whole burst.
  netmon(boost::asio::io_context& io, std::chrono::milliseconds debounce, changed_fn on_change);
  ~netmon();
  netmon(const netmon&) = delete;
  netmon& operator=(const netmon&) = delete;

  // Opens and subscribes the socket; an error (no netlink: not Linux, a
  // sandbox) leaves the monitor off, the library works without it.
  std::error_code start();
  void stop();
  std::uint64_t changes() const noexcept { return changes_; }

 private:
  void arm();
  void note_change();  // starts the debounce timer unless it runs

  boost::asio::posix::stream_descriptor sock_;
  boost::asio::steady_timer debounce_timer_;
  std::chrono::milliseconds debounce_;
  changed_fn on_change_;
  std::vector<std::byte> buf_;
  bool pending_ = false;
  bool stopped_ = false;
  std::uint64_t changes_ = 0;
};

}  // namespace pinhole::client
