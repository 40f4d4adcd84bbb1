// SyscallFaults: makes chosen libc file calls of this process fail, the way a
// full disk (ENOSPC) or a dying device (EIO) would, whoever makes them: the
// log, util/file_util (index checkpoints, aggregate snapshots) and SQLite
// (read stores). syscall_faults.cc defines open/openat (+64), write, pwrite
// (+64), fsync, fdatasync, fallocate (+64, posix_), rename/renameat and close
// in the test executable; each forwards to the next definition
// (dlsym(RTLD_NEXT): libc, or a sanitizer's interceptor) unless a fault is
// due. Link duet_syscall_faults only into the tests that use it.
//
// A call matches when its path (for fd calls, the path the fd was opened
// with) contains the armed substring. Thread-safe.
#ifndef DUET_TESTS_SUPPORT_SYSCALL_SYSCALL_FAULTS_H_
#define DUET_TESTS_SUPPORT_SYSCALL_SYSCALL_FAULTS_H_

#include <cstdint>
#include <string>

namespace duet::testing {

enum class Syscall : int {
  kOpen,       // open, open64, openat, openat64 (creating or not)
  kWrite,      // write, pwrite, pwrite64
  kSync,       // fsync, fdatasync
  kFallocate,  // fallocate, fallocate64, posix_fallocate, posix_fallocate64
  kRename,     // rename, renameat (either name may match)
  kCount
};

class SyscallFaults {
 public:
  // From now on, counts calls of `op` whose path contains `path_part` ("":
  // every path) and fails the `nth` of them (1 = the next) with `err`; 0:
  // count only. Replaces any earlier plan; resets the counts.
  static void Arm(Syscall op, uint64_t nth, int err, const std::string& path_part = "");
  // Stops counting and failing.
  static void Disarm();
  // Matching calls of the armed op since Arm.
  static uint64_t Count();
  // Whether the planned failure happened.
  static bool Fired();
};

// Disarms on scope exit, so a failing assertion cannot leave faults armed.
class ScopedSyscallFault {
 public:
  ScopedSyscallFault(Syscall op, uint64_t nth, int err, const std::string& path_part = "") {
    SyscallFaults::Arm(op, nth, err, path_part);
  }
  ~ScopedSyscallFault() { SyscallFaults::Disarm(); }
  ScopedSyscallFault(const ScopedSyscallFault&) = delete;
  ScopedSyscallFault& operator=(const ScopedSyscallFault&) = delete;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_SYSCALL_SYSCALL_FAULTS_H_
