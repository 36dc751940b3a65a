// Worker threads leave the control signals to the control thread.
#include "thread_signals.hpp"

#include <gtest/gtest.h>

namespace pd = pinhole::daemon;

namespace {

bool blocked_here(int sig) {
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, sig) == 1;
}

TEST(ThreadSignals, TheNewThreadBlocksTheControlSignalsAndTheCallerKeepsItsMask) {
  ASSERT_FALSE(blocked_here(SIGUSR1));
  bool usr1 = false, usr2 = false, hup = false, term = false, segv = true;
  std::thread t = pd::thread_without_control_signals([&] {
    usr1 = blocked_here(SIGUSR1);
    usr2 = blocked_here(SIGUSR2);
    hup = blocked_here(SIGHUP);
    term = blocked_here(SIGTERM);
    segv = blocked_here(SIGSEGV);
  });
  t.join();
  EXPECT_TRUE(usr1);
  EXPECT_TRUE(usr2);
  EXPECT_TRUE(hup);
  EXPECT_TRUE(term);
  EXPECT_FALSE(segv);  // synchronous faults still reach the sanitizers' handlers
  EXPECT_FALSE(blocked_here(SIGUSR1));
  EXPECT_FALSE(blocked_here(SIGUSR2));
}

}  // namespace
