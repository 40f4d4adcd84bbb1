// SoakLoad's query clients (soak_load.h).
#include <boost/json.hpp>
#include <chrono>
#include <random>

#include "tests/soak/soak_http.h"
#include "tests/soak/soak_load.h"

namespace duet::soak {
namespace {

constexpr std::chrono::seconds kRequestTimeout{30};
constexpr std::chrono::milliseconds kUnavailablePause{100};
// How long a read-your-write query may wait for its position on the node;
// longer than a restart of either node usually takes.
constexpr int kReadYourWriteWaitMs = 10000;

constexpr std::string_view kPlainQueries[] = {
    "/queries/accounts?limit=50",
    "/queries/accounts?owner=Alice%20Smith&limit=20",
    "/queries/orders?customer=Acme&limit=50",
    "/queries/orders?status=confirmed&limit=20",
    "/queries/search-accounts?q=Smith&limit=20",
    "/queries/search-orders?q=Globex&limit=20",
    "/queries/search-orders?q=tea&limit=20",
    "/queries/revenue?currency=EUR&bucket=minute",
    "/queries/revenue?currency=USD&bucket=hour",
    "/queries/volume?currency=USD&bucket=minute",
    "/queries/orders-per-status?bucket=hour",
};

}  // namespace

void SoakLoad::RunQueryClient(int index) {
  std::mt19937_64 rng(options_.seed * 7919 + 100000 + static_cast<uint64_t>(index));
  const uint16_t port =
      options_.query_ports[static_cast<size_t>(index) % options_.query_ports.size()];
  NodeClient http(port, kRequestTimeout);
  while (!stop_queries_.load()) {
    std::string target;
    uint64_t min_position = 0;
    ReadYourWrite item;
    if (rng() % 100 < 45 && PickReadYourWrite(rng(), item)) {
      target = item.target + "&min_position=" + std::to_string(item.position) +
               "&timeout_ms=" + std::to_string(kReadYourWriteWaitMs);
      min_position = item.position;
    } else {
      target = std::string(kPlainQueries[rng() % std::size(kPlainQueries)]);
    }
    HttpReply reply = http.Get(target);
    if (reply.status == 200) {
      counters_.queries_answered++;
      std::optional<uint64_t> position = UintOf(reply["position"]);
      if (!position || *position < min_position) {
        Fail("query " + target + " on port " + std::to_string(port) +
             ": answered before its min_position: " + reply.Describe());
      }
      continue;
    }
    if (reply.status == 503 && reply["code"] == "timeout" && min_position > 0) {
      counters_.queries_not_yet++;
    } else if (reply.status == 0 || reply.status == 503) {
      counters_.queries_unavailable++;
    } else {
      Fail("query " + target + " on port " + std::to_string(port) + ": " + reply.Describe());
    }
    std::this_thread::sleep_for(kUnavailablePause);
  }
}

}  // namespace duet::soak
