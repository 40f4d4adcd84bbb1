// A scripted writer for power_loss_rollback_test: runs its arguments as file
// operations, in order, then kills itself with SIGKILL (as the real-binary
// test kills `duet`), so that the test can roll the folder back from the
// journal the preloaded interposer wrote. Steps:
//   append PATH TEXT       open(O_CREAT|O_APPEND), write, close
//   pwrite PATH OFFSET TEXT
//   truncate PATH SIZE     ftruncate
//   sync PATH              fdatasync of the file (a fresh descriptor)
//   dirsync DIR            fsync of the directory
//   rename FROM TO         std::filesystem::rename (rename(2))
//   remove PATH            std::filesystem::remove (remove(3))
//   mkdir PATH             std::filesystem::create_directory (mkdir(2))
//   removeall PATH         std::filesystem::remove_all (unlinkat, rmdir)
// Exits 2 on a step it does not know or one that fails.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::perror(what.c_str());
  std::exit(2);
}

void Append(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    Fail(std::string("append ") + path);
  }
  ::close(fd);
}

void PositionalWrite(const char* path, off_t offset, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 ||
      ::pwrite(fd, text.data(), text.size(), offset) != static_cast<ssize_t>(text.size())) {
    Fail(std::string("pwrite ") + path);
  }
  ::close(fd);
}

void Truncate(const char* path, off_t size) {
  const int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, size) != 0) Fail(std::string("truncate ") + path);
  ::close(fd);
}

void Sync(const char* path, bool directory) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0 || (directory ? ::fsync(fd) : ::fdatasync(fd)) != 0) {
    Fail(std::string("sync ") + path);
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  for (int i = 1; i < argc;) {
    const std::string step = argv[i];
    const int left = argc - i - 1;
    if (step == "append" && left >= 2) {
      Append(argv[i + 1], argv[i + 2]);
      i += 3;
    } else if (step == "pwrite" && left >= 3) {
      PositionalWrite(argv[i + 1], std::atoll(argv[i + 2]), argv[i + 3]);
      i += 4;
    } else if (step == "truncate" && left >= 2) {
      Truncate(argv[i + 1], std::atoll(argv[i + 2]));
      i += 3;
    } else if ((step == "sync" || step == "dirsync") && left >= 1) {
      Sync(argv[i + 1], step == "dirsync");
      i += 2;
    } else if (step == "rename" && left >= 2) {
      fs::rename(argv[i + 1], argv[i + 2]);
      i += 3;
    } else if (step == "remove" && left >= 1) {
      if (!fs::remove(argv[i + 1])) Fail(std::string("remove ") + argv[i + 1]);
      i += 2;
    } else if (step == "removeall" && left >= 1) {
      fs::remove_all(argv[i + 1]);
      i += 2;
    } else if (step == "mkdir" && left >= 1) {
      if (!fs::create_directory(argv[i + 1])) Fail(std::string("mkdir ") + argv[i + 1]);
      i += 2;
    } else {
      std::fprintf(stderr, "power_loss_scribe: bad step '%s'\n", step.c_str());
      return 2;
    }
  }
  ::kill(::getpid(), SIGKILL);
  return 3;  // not reached
}
