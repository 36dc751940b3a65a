// The UPnP client's worker thread: libminiupnpc's calls block (SSDP waits,
// HTTP connects and reads with multi-second timeouts), so they run here,
// one after another, never on the io thread; each job posts its result
// back to the io_context. At the end the queued jobs (the deletions) get a
// bounded grace; a job still blocked after it finishes on its own, and its
// result is dropped (the io_context is no longer posted to).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace pinhole::client {

class upnp_worker {
 public:
  explicit upnp_worker(boost::asio::io_context& io);
  ~upnp_worker();  // stop(0 ms) if not stopped
  upnp_worker(const upnp_worker&) = delete;
  upnp_worker& operator=(const upnp_worker&) = delete;

  // `job` runs on the worker thread; it gets `post`, which hands a function
  // to the io thread (dropped once the worker stopped).
  using poster = std::function<void(std::function<void()>)>;
  void run(std::function<void(const poster& post)> job);
  // Lets the queued jobs run for at most `grace`, then stops posting and
  // leaves the thread (joined if it finished, detached otherwise).
  void stop(std::chrono::milliseconds grace);
  bool stopped() const noexcept { return stopped_; }

 private:
  struct state {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::function<void(const poster&)>> jobs;
    boost::asio::io_context* io = nullptr;  // null: results are dropped
    bool stop = false;
    bool busy = false;
  };
  static void loop(const std::shared_ptr<state>& st);

  std::shared_ptr<state> st_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace pinhole::client
