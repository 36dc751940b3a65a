// Threads that never take the control signals. SIGINT, SIGTERM, SIGHUP,
// SIGUSR1 and SIGUSR2 are the control thread's (service.cpp's signal_set):
// a worker thread that took one would race the control thread over the
// next, and "SIGUSR1 then SIGUSR2" (drain, then undrain) could be handled
// the other way round. Synchronous signals (SIGSEGV, ...) stay unblocked:
// the sanitizers report them.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace pinhole::daemon {

inline sigset_t control_signals() noexcept {
  sigset_t s;
  sigemptyset(&s);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT}) sigaddset(&s, sig);
  return s;
}

// std::thread(f) with the control signals blocked in the new thread (a
// thread inherits its creator's mask); the caller's mask is left as it was.
template <typename F>
std::thread thread_without_control_signals(F&& f) {
  const sigset_t block = control_signals();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &block, &old);
  struct restore {
    const sigset_t& mask;
    ~restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } guard{old};
  return std::thread(std::forward<F>(f));
}

}  // namespace pinhole::daemon
