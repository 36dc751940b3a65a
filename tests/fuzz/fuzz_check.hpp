// FUZZ_CHECK(cond): an invariant of a fuzz target. Unlike assert() it stays
// on in every build type, and it aborts (which libFuzzer reports as a crash
// and saves the input) with the failed condition and its location.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)
