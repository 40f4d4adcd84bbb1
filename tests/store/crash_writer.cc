// Child process of crash_recovery_test: appends with durability sync from
// several threads until it is killed, printing one line per acknowledged
// event: "<stream> <version> <data>". A line is printed only after Append
// returned OK, so every printed line is a promise the store must keep.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "duet/embedded_store.h"

namespace {

void WriteLine(const std::string& line) {
  // One write() of less than PIPE_BUF bytes: atomic on a pipe.
  const ssize_t n = ::write(STDOUT_FILENO, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_writer DATA_DIR TAG\n");
    return 2;
  }
  duet::StoreOptions options;  // durability sync
  options.segment_size_bytes = 64 * 1024;
  options.index_checkpoint_interval = 500;
  auto store = duet::EmbeddedStore::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const std::string tag = argv[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        std::vector<duet::StreamAppend> appends;
        const int streams = 1 + static_cast<int>(i % 2);
        for (int s = 0; s < streams; ++s) {
          duet::StreamAppend append;
          append.stream = "crash-" + std::to_string((t * 7 + s + i) % 11);
          for (uint64_t e = 0; e <= i % 3; ++e) {
            append.events.push_back({duet::EventId::Random(), "Written",
                                     tag + "." + std::to_string(t) + "." + std::to_string(i) + "." +
                                         std::to_string(s) + "." + std::to_string(e),
                                     "{}"});
          }
          appends.push_back(std::move(append));
        }
        auto result = (*store)->AppendMulti(appends);
        if (!result.ok()) {
          std::fprintf(stderr, "append: %s\n", result.status().ToString().c_str());
          std::_Exit(1);
        }
        for (size_t s = 0; s < appends.size(); ++s) {
          const uint64_t last = result->streams[s].next_expected_version.value;
          const uint64_t n = appends[s].events.size();
          for (uint64_t e = 0; e < n; ++e) {
            WriteLine(appends[s].stream + " " + std::to_string(last - (n - 1 - e)) + " " +
                      appends[s].events[e].data + "\n");
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}
