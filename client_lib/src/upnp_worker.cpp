#include "upnp_worker.hpp"

#include <boost/asio/post.hpp>

namespace pinhole::client {

upnp_worker::upnp_worker(boost::asio::io_context& io) : st_(std::make_shared<state>()) {
  st_->io = &io;
  thread_ = std::thread([st = st_] { loop(st); });
}

upnp_worker::~upnp_worker() { stop(std::chrono::milliseconds(0)); }

void upnp_worker::run(std::function<void(const poster&)> job) {
  std::lock_guard<std::mutex> lock(st_->m);
  if (st_->stop) return;
  st_->jobs.push_back(std::move(job));
  st_->cv.notify_all();
}

void upnp_worker::loop(const std::shared_ptr<state>& st) {
  const poster post = [st](std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(st->m);
    if (st->io != nullptr) boost::asio::post(*st->io, std::move(fn));
  };
  std::unique_lock<std::mutex> lock(st->m);
  for (;;) {
    st->cv.wait(lock, [&] { return st->stop || !st->jobs.empty(); });
    if (st->jobs.empty()) break;  // stopping, and nothing left
    auto job = std::move(st->jobs.front());
    st->jobs.pop_front();
    st->busy = true;
    lock.unlock();
    job(post);
    lock.lock();
    st->busy = false;
    st->cv.notify_all();
  }
}

void upnp_worker::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  bool done = false;
  {
    std::unique_lock<std::mutex> lock(st_->m);
    st_->stop = true;
    st_->cv.notify_all();
    done = st_->cv.wait_for(lock, grace, [&] { return st_->jobs.empty() && !st_->busy; });
    if (!done) st_->jobs.clear();  // what did not start in time never starts
    st_->io = nullptr;             // from now on results are dropped
  }
  if (done) {
    thread_.join();
  } else {
    thread_.detach();  // blocked in libminiupnpc: it ends after its own timeout
  }
}

}  // namespace pinhole::client
