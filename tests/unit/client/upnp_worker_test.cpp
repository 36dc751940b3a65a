// upnp_worker: jobs run in order on one thread other than the io thread,
// their results come back through the io_context, stop() drains the queue
// within its grace, and a job still blocked after the grace finishes on its
// own while its result is dropped.
#include "upnp_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace pinhole::client;
using namespace std::chrono_literals;

TEST(UpnpWorker, RunsJobsInOrderOffTheIoThreadAndPostsBack) {
  boost::asio::io_context io;
  std::vector<int> seen;
  std::atomic<bool> off_thread{true};
  const auto io_thread = std::this_thread::get_id();
  {
    upnp_worker w(io);
    for (int i = 0; i < 5; ++i) {
      w.run([&, i](const upnp_worker::poster& post) {
        if (std::this_thread::get_id() == io_thread) off_thread = false;
        post([&, i] { seen.push_back(i); });  // runs on the io thread
      });
    }
    const auto end = std::chrono::steady_clock::now() + 3s;
    while (seen.size() < 5 && std::chrono::steady_clock::now() < end) {
      io.run_for(10ms);  // returns at once while nothing is posted yet
      io.restart();
      std::this_thread::sleep_for(1ms);
    }
    w.stop(1s);
  }
  EXPECT_TRUE(off_thread);
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(UpnpWorker, StopRunsWhatIsQueuedWithinTheGrace) {
  boost::asio::io_context io;
  std::atomic<int> ran{0};
  upnp_worker w(io);
  for (int i = 0; i < 3; ++i) {
    w.run([&](const upnp_worker::poster&) {
      std::this_thread::sleep_for(20ms);
      ++ran;
    });
  }
  w.stop(2s);  // the deletions at shutdown: all of them run
  EXPECT_EQ(ran, 3);
  w.run([&](const upnp_worker::poster&) { ++ran; });  // after stop: refused
  EXPECT_EQ(ran, 3);
  EXPECT_TRUE(w.stopped());
}

TEST(UpnpWorker, BlockedJobIsLeftBehindAndItsResultDropped) {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  bool posted_ran = false;
  {
    boost::asio::io_context io;
    upnp_worker w(io);
    w.run([finished, &posted_ran](const upnp_worker::poster& post) {
      std::this_thread::sleep_for(300ms);  // blocked in libminiupnpc, say
      post([&posted_ran] { posted_ran = true; });
      *finished = true;
    });
    std::this_thread::sleep_for(20ms);
    const auto t0 = std::chrono::steady_clock::now();
    w.stop(50ms);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 250ms);  // did not wait for the job
    io.run_for(10ms);
  }  // io_context gone: the job's post must not touch it
  for (int i = 0; i < 100 && !*finished; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(*finished);
  EXPECT_FALSE(posted_ran);
}
