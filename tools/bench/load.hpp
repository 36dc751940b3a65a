// The load generator itself: one thread, one event loop. Requests leave on
// the pacer's schedule in sendmmsg batches, each batch from the next of N
// connected UDP sockets (N source ports); epoll reports the sockets with
// answers, recvmmsg drains them, and every answer is checked and matched to
// its request through the transaction ID. Single-threaded on purpose: the
// benchmark machine may give the generator one core, and one thread needs no
// synchronisation between sending and receiving. No allocation per request.
#pragma once

#include <string>

#include "options.hpp"
#include "report.hpp"
#include "stun/address.hpp"

namespace pinhole::bench {

// Runs one measurement against `server`. false + `error` if it cannot start
// (sockets); otherwise fills `out` (which may still hold zero answers).
bool run_load(const options& o, const stun::transport_address& server, result& out, std::string& error);

}  // namespace pinhole::bench
