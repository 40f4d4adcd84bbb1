#include "tests/soak/soak_cluster.h"

#include <chrono>
#include <fstream>
#include <thread>

namespace duet::soak {
namespace {

// A killed node's port can stay taken for a moment (the kernel tears the
// socket down asynchronously), so a restart on the same port is retried.
constexpr int kRestartAttempts = 30;
constexpr std::chrono::milliseconds kRestartBackoff{500};
// How long a killed node stays down before the restart: long enough for
// clients to see refused connections, short enough to keep the load going.
constexpr int kMaxDowntimeMs = 1500;

}  // namespace

std::optional<uint64_t> ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    uint64_t kib = 0;
    for (char c : line) {
      if (c >= '0' && c <= '9') kib = kib * 10 + static_cast<uint64_t>(c - '0');
    }
    return kib * 1024;
  }
  return std::nullopt;
}

SoakCluster::SoakCluster(std::string binary, std::filesystem::path root)
    : binary_(std::move(binary)), root_(std::move(root)) {}

Status SoakCluster::StartNode(const std::string& name, std::vector<std::string> extra) {
  testing::ServerProcessOptions options;
  options.binary = binary_;
  options.args = {"serve", "--data", (root_ / name).string(), "--host", "127.0.0.1", "--port", "0"};
  for (std::string& arg : extra) options.args.push_back(std::move(arg));
  auto process = testing::ServerProcess::Start(std::move(options));
  if (!process.ok()) {
    return Status::FailedPrecondition("node " + name +
                                      " did not start: " + process.status().ToString());
  }
  auto node = std::make_unique<SoakNode>();
  node->name = name;
  node->process = std::move(process).value();
  nodes_.push_back(std::move(node));
  return Status::OK();
}

Status SoakCluster::Start() {
  DUET_RETURN_IF_ERROR(StartNode("command", {"--role", "command"}));
  DUET_RETURN_IF_ERROR(StartQueryNode("query1"));
  DUET_RETURN_IF_ERROR(StartQueryNode("query2"));
  killable_ = 3;
  return Status::OK();
}

Status SoakCluster::StartQueryNode(const std::string& name) {
  return StartNode(name, {"--role", "query", "--follow", command().process->url()});
}

std::vector<SoakNode*> SoakCluster::query_nodes() {
  std::vector<SoakNode*> out;
  for (size_t i = 1; i < nodes_.size(); ++i) out.push_back(nodes_[i].get());
  return out;
}

Status SoakCluster::Restart(SoakNode& node) {
  const uint16_t port = node.process->port();
  Status last;
  for (int attempt = 0; attempt < kRestartAttempts; ++attempt) {
    last = node.process->Restart(port);
    if (last.ok()) {
      ++node.restarts;
      return Status::OK();
    }
    std::this_thread::sleep_for(kRestartBackoff);
  }
  return Status::FailedPrecondition("node " + node.name + " did not restart on port " +
                                    std::to_string(port) + ": " + last.ToString());
}

Status SoakCluster::KillAndRestartRandom(std::mt19937_64& rng) {
  SoakNode& node = *nodes_[std::uniform_int_distribution<int>(0, killable_ - 1)(rng)];
  SampleMemory();  // the last sample of this run
  DUET_RETURN_IF_ERROR(node.process->Kill());
  ++node.kills;
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::uniform_int_distribution<int>(0, kMaxDowntimeMs)(rng)));
  return Restart(node);
}

void SoakCluster::SampleMemory() {
  for (const auto& node : nodes_) {
    if (!node->process->running()) continue;
    std::optional<uint64_t> rss = ResidentBytes(node->process->pid());
    if (!rss) continue;
    node->rss_bytes = *rss;
    if (*rss > node->peak_rss_bytes) node->peak_rss_bytes = *rss;
  }
}

}  // namespace duet::soak
