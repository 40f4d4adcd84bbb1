#include "tests/soak/soak_load.h"

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <random>

#include "tests/soak/soak_http.h"

namespace duet::soak {
namespace json = boost::json;

namespace {

constexpr std::string_view kCurrencies[] = {"USD", "EUR", "GBP", "JPY"};
constexpr std::string_view kOrderCurrencies[] = {"EUR", "USD"};
constexpr std::string_view kOwners[] = {"Alice Smith", "Bob Jones",  "Carol Smith",
                                        "Dave Brown",  "Erin Jones", "Frank Miller"};
constexpr std::string_view kCustomers[] = {"Acme", "Globex", "Initech", "Umbrella", "Hooli"};
constexpr std::pair<std::string_view, std::string_view> kProducts[] = {{"tea", "Green tea"},
                                                                       {"coffee", "Dark coffee"},
                                                                       {"mug", "Blue mug"},
                                                                       {"kettle", "Steel kettle"}};
constexpr int kAccountsPerClient = 6;
constexpr std::chrono::seconds kRequestTimeout{30};
// A command still without an answer after this long is reported as a hang.
constexpr std::chrono::seconds kAnswerPatience{180};
constexpr std::chrono::milliseconds kResendPause{100};
constexpr size_t kRecentCapacity = 4096;
constexpr size_t kMaxFailuresKept = 25;

template <typename T, size_t N>
const T& Pick(const T (&items)[N], std::mt19937_64& rng) {
  return items[std::uniform_int_distribution<size_t>(0, N - 1)(rng)];
}

int64_t Between(std::mt19937_64& rng, int64_t low, int64_t high) {
  return std::uniform_int_distribution<int64_t>(low, high)(rng);
}

std::string AccountName(int client, int k) {
  return "c" + std::to_string(client) + "-a" + std::to_string(k);
}

}  // namespace

// One command client: its connection, its randomness and the model of what
// its acknowledged commands did. Single-threaded (its own thread).
struct SoakLoad::CommandClient {
  SoakLoad& load;
  int index;
  LoadModel& model;
  std::mt19937_64 rng;
  NodeClient http;
  uint64_t next_key = 0;
  uint64_t next_order = 0;
  std::vector<std::string> open_orders;  // placed or confirmed

  CommandClient(SoakLoad& l, int i, LoadModel& m, uint64_t seed)
      : load(l), index(i), model(m), rng(seed), http(l.options_.command_port, kRequestTimeout) {}

  // Sends until a status other than 503 arrives; nullopt (and a failure) when
  // none did within kAnswerPatience.
  std::optional<HttpReply> Answer(const std::string& type, const std::string& body,
                                  const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + kAnswerPatience;
    bool resent = false;
    for (;;) {
      HttpReply reply = http.Post("/commands/" + type, body, key);
      bool resend = reply.status == 0 || reply.status == 503;
      if (reply.status >= 500 && reply.status != 503) {
        load.Fail("command " + key + " " + type + ": " + reply.Describe() + " (resending)");
        resend = true;
      }
      if (!resend) {
        if (reply.status == 200 && reply["duplicate"] == true) {
          if (!resent) load.Fail("command " + key + ": first send answered as a duplicate");
          load.counters_.duplicate_answers++;
        }
        return reply;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        load.Fail("command " + key + " " + type + ": no answer within " +
                  std::to_string(kAnswerPatience.count()) + " s, last: " + reply.Describe());
        return std::nullopt;
      }
      load.counters_.command_resends++;
      resent = true;
      std::this_thread::sleep_for(kResendPause);
    }
  }

  // The command's position when acknowledged; nullopt when refused (409,
  // 422) or when anything else happened (then a failure is recorded).
  std::optional<uint64_t> Execute(const std::string& type, const json::object& body) {
    const std::string key = "soak-c" + std::to_string(index) + "-" + std::to_string(next_key++);
    const std::string text = json::serialize(body);
    std::optional<HttpReply> reply = Answer(type, text, key);
    if (!reply) return std::nullopt;
    if (reply->status == 200) {
      std::optional<uint64_t> position = UintOf((*reply)["position"]);
      if (!position || *position == 0) {
        load.Fail("command " + key + ": 200 without a position: " + reply->Describe());
        return std::nullopt;
      }
      model.acked[key] = *position;
      load.counters_.commands_acked++;
      return position;
    }
    if (reply->status == 409 || reply->status == 422) {
      model.refused.insert(key);
      load.counters_.commands_refused++;
      return std::nullopt;
    }
    load.Fail("command " + key + " " + type + " " + text + ": " + reply->Describe());
    return std::nullopt;
  }

  void OpenAccounts() {
    for (int k = 0; k < kAccountsPerClient; ++k) {
      const std::string account = AccountName(index, k);
      const std::string owner(kOwners[k % std::size(kOwners)]);
      std::optional<uint64_t> position =
          Execute("OpenAccount", {{"account", account}, {"owner", owner}});
      if (!position) {
        load.Fail("OpenAccount " + account + " was not acknowledged");
        continue;
      }
      model.owners[account] = owner;
      load.Publish({"/queries/balance?account=" + account, *position});
      load.Publish({"/queries/statement?account=" + account + "&limit=20", *position});
    }
  }

  std::string OwnAccount() {
    return AccountName(index, static_cast<int>(Between(rng, 0, kAccountsPerClient - 1)));
  }

  void Move(const std::string& type, int64_t low, int64_t high, int sign) {
    const std::string account = OwnAccount();
    const std::string currency(Pick(kCurrencies, rng));
    const int64_t amount = Between(rng, low, high);
    if (Execute(type, {{"account", account}, {"currency", currency}, {"amount", amount}})) {
      model.balances[account][currency] += sign * amount;
    }
  }

  void Transfer() {
    const std::string from = OwnAccount();
    const int to_client = static_cast<int>(Between(rng, 0, load.options_.command_clients - 1));
    const std::string to =
        AccountName(to_client, static_cast<int>(Between(rng, 0, kAccountsPerClient - 1)));
    if (to == from) return;
    const std::string currency(Pick(kCurrencies, rng));
    const int64_t amount = Between(rng, 1, 500);
    if (Execute("Transfer",
                {{"from", from}, {"to", to}, {"currency", currency}, {"amount", amount}})) {
      model.balances[from][currency] -= amount;
      model.balances[to][currency] += amount;
    }
  }

  json::object Item(const std::string& currency, int64_t& total) {
    const auto& product = Pick(kProducts, rng);
    const int64_t qty = Between(rng, 1, 5);
    const int64_t price = Between(rng, 100, 5000);
    total += qty * price;
    return {{"sku", product.first},
            {"name", product.second},
            {"qty", qty},
            {"price", price},
            {"currency", currency}};
  }

  void PlaceOrder() {
    const std::string order = "c" + std::to_string(index) + "-o" + std::to_string(next_order++);
    const std::string customer(Pick(kCustomers, rng));
    const std::string currency(Pick(kOrderCurrencies, rng));
    int64_t total = 0;
    json::array items;
    for (int64_t i = Between(rng, 1, 3); i > 0; --i) items.push_back(Item(currency, total));
    std::optional<uint64_t> position =
        Execute("PlaceOrder", {{"order", order}, {"customer", customer}, {"items", items}});
    if (!position) return;
    model.orders[order] = ExpectedOrder{customer, "placed", currency, total};
    open_orders.push_back(order);
    load.Publish({"/queries/order-status?order=" + order, *position});
  }

  void FollowUp() {
    if (open_orders.empty()) return PlaceOrder();
    const size_t at =
        static_cast<size_t>(Between(rng, 0, static_cast<int64_t>(open_orders.size()) - 1));
    const std::string order = open_orders[at];
    ExpectedOrder& expected = model.orders[order];
    const int64_t r = Between(rng, 0, 99);
    std::string next;
    if (expected.status == "placed" && r < 30) {
      // Sometimes in another currency: the decider must refuse it.
      const std::string currency =
          r < 3 ? (expected.currency == "EUR" ? "USD" : "EUR") : expected.currency;
      int64_t added = 0;
      json::object item = Item(currency, added);
      if (Execute("AddItem", {{"order", order}, {"item", item}})) expected.total += added;
      return;
    }
    if (expected.status == "placed" && r < 80) {
      if (Execute("ConfirmOrder", {{"order", order}})) {
        expected.status = "confirmed";
        model.revenue[expected.currency] += expected.total;
      }
      return;
    }
    if (expected.status == "confirmed" && r < 70) {
      if (Execute("ShipOrder", {{"order", order}})) next = "shipped";
    } else if (Execute("CancelOrder", {{"order", order}, {"reason", "changed mind"}})) {
      next = "cancelled";
    }
    if (next.empty()) return;
    expected.status = next;
    open_orders.erase(open_orders.begin() + static_cast<std::ptrdiff_t>(at));
  }

  void Run() {
    OpenAccounts();
    while (!load.stop_commands_.load()) {
      const int64_t r = Between(rng, 0, 99);
      if (r < 25) {
        Move("Deposit", 1, 1000, +1);
      } else if (r < 37) {
        Move("Withdraw", 1, 1500, -1);  // sometimes more than the balance: no-overdraft
      } else if (r < 55) {
        Transfer();
      } else if (r < 75) {
        PlaceOrder();
      } else {
        FollowUp();
      }
    }
  }
};

SoakLoad::SoakLoad(LoadOptions options) : options_(std::move(options)) {}

SoakLoad::~SoakLoad() { Stop(); }

void SoakLoad::Start() {
  client_models_.resize(static_cast<size_t>(options_.command_clients));
  for (int i = 0; i < options_.command_clients; ++i) {
    threads_.emplace_back([this, i] { RunCommandClient(i); });
  }
  for (int i = 0; i < options_.query_clients; ++i) {
    threads_.emplace_back([this, i] { RunQueryClient(i); });
  }
}

void SoakLoad::Stop() {
  stop_queries_ = true;
  stop_commands_ = true;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  for (LoadModel& part : client_models_) {
    model_.acked.merge(part.acked);
    model_.refused.merge(part.refused);
    model_.owners.merge(part.owners);
    model_.orders.merge(part.orders);
    for (const auto& [account, currencies] : part.balances) {
      for (const auto& [currency, amount] : currencies)
        model_.balances[account][currency] += amount;
    }
    for (const auto& [currency, sum] : part.revenue) model_.revenue[currency] += sum;
  }
  client_models_.clear();
}

void SoakLoad::RunCommandClient(int index) {
  CommandClient client(*this, index, client_models_[static_cast<size_t>(index)],
                       options_.seed * 1000003 + static_cast<uint64_t>(index));
  client.Run();
}

void SoakLoad::Fail(std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failure_count_;
  if (failures_.size() < kMaxFailuresKept) failures_.push_back(std::move(message));
}

std::vector<std::string> SoakLoad::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out = failures_;
  if (failure_count_ > failures_.size()) {
    out.push_back("... and " + std::to_string(failure_count_ - failures_.size()) + " more");
  }
  return out;
}

void SoakLoad::Publish(ReadYourWrite item) {
  std::lock_guard<std::mutex> lock(mu_);
  if (recent_.size() < kRecentCapacity) {
    recent_.push_back(std::move(item));
  } else {
    recent_[recent_next_] = std::move(item);
    recent_next_ = (recent_next_ + 1) % kRecentCapacity;
  }
}

bool SoakLoad::PickReadYourWrite(uint64_t random, ReadYourWrite& out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (recent_.empty()) return false;
  out = recent_[random % recent_.size()];
  return true;
}

}  // namespace duet::soak
