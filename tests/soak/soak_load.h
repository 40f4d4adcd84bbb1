// The soak's load: command clients against the command node and query
// clients against the query nodes, each on its own keep-alive connection.
//
// Every command carries an Idempotency-Key; on a transport error or a 503 the
// client resends it with the same key until an answer arrives, so the outcome
// of every command is known: acknowledged (200, with its position) or refused
// (4xx). The clients keep what the acknowledged commands imply (the expected
// balances, order statuses and revenue: the model the end checks compare the
// read models with). Query clients ask both domains' queries, some with
// min_position taken from a recent acknowledgement (read-your-writes).
//
// Thread-safe as used: Start() and Stop() from one thread; the results only
// after Stop().
#ifndef DUET_TESTS_SOAK_SOAK_LOAD_H_
#define DUET_TESTS_SOAK_SOAK_LOAD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace duet::soak {

struct LoadOptions {
  uint16_t command_port = 0;
  std::vector<uint16_t> query_ports;
  int command_clients = 16;
  int query_clients = 16;
  uint64_t seed = 1;
};

struct ExpectedOrder {
  std::string customer;
  std::string status;  // placed, confirmed, shipped, cancelled
  std::string currency;
  int64_t total = 0;
};

// What the acknowledged commands imply, merged over all clients.
struct LoadModel {
  std::map<std::string, uint64_t> acked;      // idempotency key -> position
  std::set<std::string> refused;              // keys answered 4xx: nothing appended
  std::map<std::string, std::string> owners;  // account -> owner
  std::map<std::string, std::map<std::string, int64_t>> balances;  // account -> currency -> amount
  std::map<std::string, ExpectedOrder> orders;
  std::map<std::string, int64_t> revenue;  // currency -> sum of confirmed totals
};

struct LoadCounters {
  std::atomic<uint64_t> commands_acked{0};
  std::atomic<uint64_t> commands_refused{0};
  std::atomic<uint64_t> command_resends{0};      // after a transport error or 503
  std::atomic<uint64_t> duplicate_answers{0};    // a resend answered "duplicate": true
  std::atomic<uint64_t> queries_answered{0};     // 200
  std::atomic<uint64_t> queries_not_yet{0};      // 503 timeout: min_position not reached in time
  std::atomic<uint64_t> queries_unavailable{0};  // transport error or other 503 (node down)
};

// A query that must answer 200 at or after `position` (the node's read model
// has seen the acknowledged command that created its subject).
struct ReadYourWrite {
  std::string target;  // "/queries/balance?account=..."
  uint64_t position = 0;
};

class SoakLoad {
 public:
  explicit SoakLoad(LoadOptions options);
  ~SoakLoad();

  void Start();
  // Stops the query clients at once and the command clients after the
  // command each has in flight is answered (bounded; a command left without
  // an answer is a failure).
  void Stop();

  const LoadCounters& counters() const { return counters_; }
  // After Stop().
  const LoadModel& model() const { return model_; }
  std::vector<std::string> failures() const;

 private:
  struct CommandClient;

  void RunCommandClient(int index);
  void RunQueryClient(int index);
  void Fail(std::string message);
  void Publish(ReadYourWrite item);
  bool PickReadYourWrite(uint64_t random, ReadYourWrite& out);

  LoadOptions options_;
  LoadCounters counters_;
  std::atomic<bool> stop_queries_{false};
  std::atomic<bool> stop_commands_{false};
  std::vector<std::thread> threads_;
  std::vector<LoadModel> client_models_;  // one per command client, merged by Stop()
  LoadModel model_;

  mutable std::mutex mu_;
  std::vector<std::string> failures_;  // guarded by mu_ (the first few kept)
  uint64_t failure_count_ = 0;         // guarded by mu_
  std::vector<ReadYourWrite> recent_;  // guarded by mu_: a ring of recent acknowledgements
  size_t recent_next_ = 0;             // guarded by mu_
};

}  // namespace duet::soak

#endif  // DUET_TESTS_SOAK_SOAK_LOAD_H_
