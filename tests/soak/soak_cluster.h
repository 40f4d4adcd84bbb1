// The soak's cluster: one command node and two query nodes following it, each
// a real `duet serve` process on 127.0.0.1 with its data folder under one
// directory. Kills a random node with SIGKILL and restarts it on the same data
// folder and the same port (so the query nodes' --follow URL and the clients'
// addresses stay valid), and samples every node's resident memory.
//
// Thread-compatible: one thread (the soak's controller) drives it; the ports
// are fixed once Start() returned, so other threads may read port().
#ifndef DUET_TESTS_SOAK_SOAK_CLUSTER_H_
#define DUET_TESTS_SOAK_SOAK_CLUSTER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "duet/status.h"
#include "tests/integration/server_process.h"

namespace duet::soak {

struct SoakNode {
  std::string name;  // "command", "query1", ...
  std::unique_ptr<testing::ServerProcess> process;
  int kills = 0;
  int restarts = 0;
  uint64_t rss_bytes = 0;  // the last sample
  uint64_t peak_rss_bytes = 0;
};

class SoakCluster {
 public:
  SoakCluster(std::string binary, std::filesystem::path root);

  // Starts the command node, then two query nodes following it.
  Status Start();

  // Starts one more query node (a fresh rebuild, when its folder is empty),
  // following the command node; it is sampled but never killed.
  Status StartQueryNode(const std::string& name);

  // SIGKILLs one of the three original nodes, chosen with `rng`, and restarts
  // it on its data folder and port. Bind may fail briefly while the kernel
  // still holds the port, so the restart is retried for a while.
  Status KillAndRestartRandom(std::mt19937_64& rng);

  // Reads VmRSS of every running node and keeps each node's peak.
  void SampleMemory();

  SoakNode& command() { return *nodes_[0]; }
  // The original query nodes and any started later, in start order.
  std::vector<SoakNode*> query_nodes();
  const std::vector<std::unique_ptr<SoakNode>>& nodes() const { return nodes_; }

 private:
  Status StartNode(const std::string& name, std::vector<std::string> extra);
  Status Restart(SoakNode& node);

  std::string binary_;
  std::filesystem::path root_;
  std::vector<std::unique_ptr<SoakNode>> nodes_;
  int killable_ = 0;  // the first killable_ nodes take part in the kills
};

// VmRSS of `pid` in bytes, from /proc/<pid>/status; nullopt when unreadable
// (the process is gone).
std::optional<uint64_t> ResidentBytes(pid_t pid);

}  // namespace duet::soak

#endif  // DUET_TESTS_SOAK_SOAK_CLUSTER_H_
