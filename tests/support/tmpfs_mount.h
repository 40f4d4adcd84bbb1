// TmpfsMount: a size-limited tmpfs mounted for one test, so the test can
// fill a real file system to the end. Needs root (CAP_SYS_ADMIN); when
// mounting is refused, error() says why and the test skips. Unmounted on
// destruction (lazily, MNT_DETACH, if something still holds it).
//
// Also Fill(): a ballast file that takes all the space but `leave` bytes.
#ifndef DUET_TESTS_SUPPORT_TMPFS_MOUNT_H_
#define DUET_TESTS_SUPPORT_TMPFS_MOUNT_H_

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace duet::testing {

class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path dir, const std::string& size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      const int err = errno;
      error_ = "cannot mount a tmpfs at " + dir_.string() + " (" + std::strerror(err) +
               "): this test needs root (CI runs it as root)";
    } else {
      mounted_ = true;
    }
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::filesystem::path& dir() const { return dir_; }

  // Writes `ballast` until the file system is full, then gives back `leave`
  // bytes of it. Returns the ballast's final size.
  static uintmax_t Fill(const std::filesystem::path& ballast, uintmax_t leave) {
    {
      std::ofstream out(ballast, std::ios::binary);
      const std::string chunk(64 << 10, 'b');
      while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && out.flush()) {
      }
    }
    const uintmax_t size = std::filesystem::file_size(ballast);
    const uintmax_t kept = size > leave ? size - leave : 0;
    std::filesystem::resize_file(ballast, kept);
    return kept;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_TMPFS_MOUNT_H_
