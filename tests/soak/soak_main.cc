// duet_soak: the soak test of issue 5. Runs one command node and two query
// nodes (`duet serve`) under mixed HTTP load from many connections for a
// while, SIGKILLing and restarting random nodes along the way, then checks
// that every acknowledged command is in the log exactly once, that every
// read model equals a fresh rebuild (and what the acknowledged commands
// imply), and that resident memory stayed under a bound. Prints a summary;
// exits 1 with the reasons when a check fails, 2 on bad arguments.
//
//   duet_soak [--duration SECONDS] [--seed N] [--command-clients N]
//             [--query-clients N] [--max-rss-mib N] [--min-kill-s N]
//             [--max-kill-s N] [--binary PATH]
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <thread>

#include "tests/soak/soak_check.h"
#include "tests/soak/soak_cluster.h"
#include "tests/soak/soak_load.h"
#include "tests/support/temp_dir.h"

#ifndef DUET_BINARY_PATH
#error "DUET_BINARY_PATH must name the duet binary (set by tests/soak/CMakeLists.txt)"
#endif

namespace duet::soak {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kCatchUpPatience{600};
constexpr std::chrono::seconds kProgressEvery{30};

struct SoakOptions {
  int duration_s = 600;
  uint64_t seed = 1;
  int command_clients = 16;
  int query_clients = 16;
  uint64_t max_rss_mib = 1024;
  int min_kill_s = 3;
  int max_kill_s = 10;
  std::string binary = DUET_BINARY_PATH;
};

bool ParseArgs(int argc, char** argv, SoakOptions& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    char* end = nullptr;
    const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    const bool numeric = end != value.c_str() && *end == '\0';
    if (flag == "--binary") {
      o.binary = value;
    } else if (!numeric) {
      return false;
    } else if (flag == "--duration") {
      o.duration_s = static_cast<int>(n);
    } else if (flag == "--seed") {
      o.seed = n;
    } else if (flag == "--command-clients") {
      o.command_clients = static_cast<int>(n);
    } else if (flag == "--query-clients") {
      o.query_clients = static_cast<int>(n);
    } else if (flag == "--max-rss-mib") {
      o.max_rss_mib = n;
    } else if (flag == "--min-kill-s") {
      o.min_kill_s = static_cast<int>(n);
    } else if (flag == "--max-kill-s") {
      o.max_kill_s = static_cast<int>(n);
    } else {
      return false;
    }
  }
  return o.duration_s > 0 && o.command_clients > 0 && o.query_clients > 0 && o.min_kill_s > 0 &&
         o.max_kill_s >= o.min_kill_s;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Progress(const char* phase, Clock::time_point start, const SoakLoad& load,
              SoakCluster& cluster) {
  const LoadCounters& c = load.counters();
  std::printf("[%6.0f s] %s: %llu acked, %llu refused, %llu resends, %llu queries answered;",
              Seconds(Clock::now() - start), phase,
              static_cast<unsigned long long>(c.commands_acked.load()),
              static_cast<unsigned long long>(c.commands_refused.load()),
              static_cast<unsigned long long>(c.command_resends.load()),
              static_cast<unsigned long long>(c.queries_answered.load()));
  for (const auto& node : cluster.nodes()) {
    std::printf(" %s kills %d rss %llu MiB", node->name.c_str(), node->kills,
                static_cast<unsigned long long>(node->rss_bytes >> 20));
  }
  std::printf("\n");
  std::fflush(stdout);
}

// Runs the load with kills for the duration; failures of the cluster itself
// (a node that does not come back) end it early.
void RunLoad(const SoakOptions& o, SoakCluster& cluster, SoakLoad& load, Failures& failures) {
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int> kill_gap(o.min_kill_s * 1000, o.max_kill_s * 1000);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.duration_s);
  auto next_kill = start + std::chrono::milliseconds(kill_gap(rng));
  auto next_progress = start + kProgressEvery;
  load.Start();
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    cluster.SampleMemory();
    if (Clock::now() >= next_kill && Clock::now() < end) {
      Status killed = cluster.KillAndRestartRandom(rng);
      if (!killed.ok()) {
        failures.push_back("cluster: " + killed.ToString());
        break;
      }
      next_kill = Clock::now() + std::chrono::milliseconds(kill_gap(rng));
    }
    if (Clock::now() >= next_progress) {
      Progress("load", start, load, cluster);
      next_progress += kProgressEvery;
    }
  }
  load.Stop();
  Progress("stopped", start, load, cluster);
}

// The end checks; returns the final head.
uint64_t CheckEnd(SoakCluster& cluster, const LoadModel& model, Failures& failures,
                  uint64_t& events_read) {
  const uint16_t command_port = cluster.command().process->port();
  Result<uint64_t> head = ReadHead(command_port);
  if (!head.ok()) {
    failures.push_back("command node: " + head.status().ToString());
    return 0;
  }
  events_read = CheckLog(command_port, *head, model, failures);
  Status fresh = cluster.StartQueryNode("fresh");
  if (!fresh.ok()) {
    failures.push_back("fresh query node: " + fresh.ToString());
    return *head;
  }
  std::vector<std::pair<std::string, Answers>> answers;
  for (SoakNode* node : cluster.query_nodes()) {
    Status caught_up = WaitForCatchUp(node->process->port(), *head, kCatchUpPatience);
    cluster.SampleMemory();
    if (!caught_up.ok()) {
      failures.push_back(node->name + ": " + caught_up.ToString());
      continue;
    }
    Result<Answers> collected = CollectAnswers(node->process->port(), *head, model);
    if (!collected.ok()) {
      failures.push_back(node->name + ": " + collected.status().ToString());
      continue;
    }
    answers.emplace_back(node->name, std::move(collected).value());
  }
  if (answers.size() == cluster.query_nodes().size()) {
    const auto& [fresh_name, fresh_answers] = answers.back();
    for (size_t i = 0; i + 1 < answers.size(); ++i) {
      CompareAnswers(answers[i].first, answers[i].second, fresh_name, fresh_answers, failures);
    }
    CheckAgainstModel(fresh_answers, model, failures);
    std::printf("compared %zu answers per query node\n", fresh_answers.size());
  }
  Result<uint64_t> after = ReadHead(command_port);
  if (!after.ok() || *after != *head) {
    failures.push_back("the head moved after the load stopped: " +
                       (after.ok() ? std::to_string(*after) : after.status().ToString()));
  }
  return *head;
}

int Main(int argc, char** argv) {
  SoakOptions o;
  if (!ParseArgs(argc, argv, o)) {
    std::cerr << "usage: duet_soak [--duration S] [--seed N] [--command-clients N] "
                 "[--query-clients N] [--max-rss-mib N] [--min-kill-s N] [--max-kill-s N] "
                 "[--binary PATH]\n";
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  std::printf(
      "soak: %d s, seed %llu, %d command + %d query clients, kill every %d-%d s, "
      "RSS bound %llu MiB, binary %s\n",
      o.duration_s, static_cast<unsigned long long>(o.seed), o.command_clients, o.query_clients,
      o.min_kill_s, o.max_kill_s, static_cast<unsigned long long>(o.max_rss_mib), o.binary.c_str());
  const auto start = Clock::now();
  testing::TempDir dir;
  SoakCluster cluster(o.binary, dir.path());
  Failures failures;
  if (Status started = cluster.Start(); !started.ok()) {
    std::cerr << "soak: FAILED: " << started << "\n";
    return 1;
  }
  std::vector<uint16_t> query_ports;
  for (SoakNode* node : cluster.query_nodes()) query_ports.push_back(node->process->port());
  SoakLoad load(LoadOptions{cluster.command().process->port(), query_ports, o.command_clients,
                            o.query_clients, o.seed});
  RunLoad(o, cluster, load, failures);
  for (std::string& failure : load.failures()) failures.push_back("load: " + failure);
  uint64_t events = 0;
  const uint64_t head = CheckEnd(cluster, load.model(), failures, events);
  cluster.SampleMemory();

  const LoadCounters& c = load.counters();
  std::printf("\n== soak summary ==\n");
  std::printf("elapsed            %.0f s (load %d s)\n", Seconds(Clock::now() - start),
              o.duration_s);
  std::printf(
      "commands acked     %llu (refused by rules %llu, resends %llu, duplicate answers %llu)\n",
      static_cast<unsigned long long>(c.commands_acked.load()),
      static_cast<unsigned long long>(c.commands_refused.load()),
      static_cast<unsigned long long>(c.command_resends.load()),
      static_cast<unsigned long long>(c.duplicate_answers.load()));
  std::printf("queries answered   %llu (not yet %llu, node unavailable %llu)\n",
              static_cast<unsigned long long>(c.queries_answered.load()),
              static_cast<unsigned long long>(c.queries_not_yet.load()),
              static_cast<unsigned long long>(c.queries_unavailable.load()));
  std::printf("final head         %llu (events checked %llu)\n",
              static_cast<unsigned long long>(head), static_cast<unsigned long long>(events));
  for (const auto& node : cluster.nodes()) {
    const double mib = static_cast<double>(node->peak_rss_bytes) / (1024.0 * 1024.0);
    std::printf("node %-8s kills %3d restarts %3d peak RSS %7.1f MiB\n", node->name.c_str(),
                node->kills, node->restarts, mib);
    if (node->peak_rss_bytes > o.max_rss_mib * 1024 * 1024) {
      failures.push_back("memory: " + node->name + " peaked at " + std::to_string(mib) +
                         " MiB, over the bound of " + std::to_string(o.max_rss_mib) + " MiB");
    }
  }
  if (failures.empty()) {
    std::printf("soak: PASSED\n");
    return 0;
  }
  std::printf("soak: FAILED (%zu problems)\n", failures.size());
  for (const std::string& failure : failures) std::printf("  - %s\n", failure.c_str());
  return 1;
}

}  // namespace
}  // namespace duet::soak

int main(int argc, char** argv) { return duet::soak::Main(argc, argv); }
