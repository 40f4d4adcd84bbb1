// Clang thread-safety annotations (-Wthread-safety); no-ops for other compilers.
#ifndef DUET_UTIL_THREAD_ANNOTATIONS_H_
#define DUET_UTIL_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define DUET_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define DUET_THREAD_ANNOTATION_(x)
#endif

#define GUARDED_BY(x) DUET_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) DUET_THREAD_ANNOTATION_(pt_guarded_by(x))
#define REQUIRES(...) DUET_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) DUET_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))

#endif  // DUET_UTIL_THREAD_ANNOTATIONS_H_
