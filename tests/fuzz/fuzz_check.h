// Invariant checks of the fuzz targets: a failed check prints what broke and
// aborts, so libFuzzer (or the replay runner) reports the input as a crash.
// Unlike assert(), it stays on in Release and RelWithDebInfo builds.
#ifndef DUET_TESTS_FUZZ_FUZZ_CHECK_H_
#define DUET_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define DUET_FUZZ_CHECK(cond, msg)                                                              \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s: %s\n", __FILE__, __LINE__, #cond, \
                   (msg));                                                                      \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

#endif  // DUET_TESTS_FUZZ_FUZZ_CHECK_H_
