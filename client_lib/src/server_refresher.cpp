#include "server_refresher.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server_list.hpp"

namespace pinhole::client {

struct server_refresher::state {
  std::vector<std::string> specs;
  bool use_srv = true;
  std::shared_ptr<dns_resolver> dns;
  clock::duration interval{}, min_gap{}, retry{};
  bool first_now = false;
  bool complete = false;             // the refresher thread's only: every name resolved in the last round
  std::vector<ip_endpoint> current;  // the refresher thread's only

  std::mutex m;                // guards everything below; held while on_change runs
  std::condition_variable cv;  // wakes the thread and wait_first_round
  change_fn on_change;         // cleared by the destructor
  bool stop = false;
  bool soon = false;
  std::uint64_t rounds = 0, changes = 0;
};

void server_refresher::run(const std::shared_ptr<state>& st) {
  auto last = clock::now();
  bool first = st->first_now;
  std::unique_lock lk(st->m);
  while (!st->stop) {
    // Due `interval` after the last round, `retry` while a name has not
    // resolved yet, or `min_gap` after it once an early round was asked
    // for. Any notify recomputes this.
    if (!first) {
      if (!st->soon && st->complete && st->interval == clock::duration::zero()) {
        st->cv.wait(lk);  // resolved once; only refresh_soon() asks again
        continue;
      }
      auto wait = st->complete ? st->interval : st->retry;
      if (st->soon) wait = std::min(wait, st->min_gap);
      const auto due = last + wait;
      if (clock::now() < due) {
        st->cv.wait_until(lk, due);
        continue;
      }
    }
    first = false;
    st->soon = false;
    lk.unlock();
    std::vector<ip_endpoint> fresh;
    bool all = false;
    const bool ok = !resolve_servers(st->specs, st->use_srv, *st->dns, fresh, &all) && !fresh.empty();
    const bool changed = ok && fresh != st->current;
    if (changed) st->current = fresh;
    st->complete = ok && all;
    last = clock::now();
    lk.lock();
    if (st->stop) break;
    ++st->rounds;
    st->cv.notify_all();
    if (changed) {
      ++st->changes;
      st->on_change(st->current);
    }
  }
}

server_refresher::server_refresher(std::vector<std::string> specs, bool use_srv, std::shared_ptr<dns_resolver> dns,
                                   clock::duration interval, clock::duration min_gap, std::vector<ip_endpoint> current,
                                   change_fn on_change, bool first_now, clock::duration retry)
    : st_(std::make_shared<state>()) {
  st_->first_now = first_now;
  st_->retry = retry > clock::duration::zero() ? retry : min_gap;
  // Until a round says otherwise, assume what `current` came from is complete
  // (a manager created with every name resolved waits the full interval).
  st_->complete = !first_now;
  st_->specs = std::move(specs);
  st_->use_srv = use_srv;
  st_->dns = std::move(dns);
  st_->interval = interval;
  st_->min_gap = min_gap;
  st_->current = std::move(current);
  st_->on_change = std::move(on_change);
  std::thread([st = st_] { run(st); }).detach();
}

server_refresher::~server_refresher() {
  {
    std::lock_guard lk(st_->m);  // waits for an on_change in progress
    st_->stop = true;
    st_->on_change = nullptr;
  }
  st_->cv.notify_all();
}

void server_refresher::refresh_soon() noexcept {
  {
    std::lock_guard lk(st_->m);
    st_->soon = true;
  }
  st_->cv.notify_all();
}

bool server_refresher::wait_first_round(clock::time_point deadline) const {
  std::unique_lock lk(st_->m);
  return st_->cv.wait_until(lk, deadline, [&] { return st_->rounds > 0 || st_->stop; }) && st_->rounds > 0;
}

std::uint64_t server_refresher::rounds() const {
  std::lock_guard lk(st_->m);
  return st_->rounds;
}

std::uint64_t server_refresher::changes() const {
  std::lock_guard lk(st_->m);
  return st_->changes;
}

bool server_refresher::has_names(const std::vector<std::string>& specs) {
  for (const auto& s : specs) {
    const auto spec = parse_server_spec(s);
    if (spec && !spec->literal) return true;
  }
  return false;
}

}  // namespace pinhole::client
