// The read-model half of the soak's end checks (soak_check.h): complete
// answers of a query node, compared across nodes and with the load's model.
#include <boost/json.hpp>
#include <thread>

#include "tests/soak/soak_check.h"
#include "tests/soak/soak_http.h"

namespace duet::soak {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kRequestTimeout{60};
constexpr size_t kMaxOrderStatuses = 500;
constexpr std::string_view kBuckets[] = {"minute", "hour", "day"};
constexpr std::string_view kCurrencies[] = {"USD", "EUR", "GBP", "JPY"};
constexpr std::string_view kAccountWords[] = {"Smith", "Jones", "Alice", "Brown", "Miller"};
constexpr std::string_view kOrderWords[] = {"Acme", "Globex", "Hooli", "tea", "kettle", "mug"};

std::string Short(const json::value& value) {
  std::string text = json::serialize(value);
  return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

// One query's data at `head`; a transport error or 503 is retried a few times.
class Collector {
 public:
  Collector(uint16_t port, uint64_t head) : http_(port, kRequestTimeout), head_(head) {}

  Result<json::value> Data(const std::string& target) {
    const std::string full = target + (target.find('?') == std::string::npos ? "?" : "&") +
                             "min_position=" + std::to_string(head_) + "&timeout_ms=30000";
    HttpReply reply;
    for (int attempt = 0; attempt < 5; ++attempt) {
      reply = http_.Get(full);
      if (reply.status == 200) return reply["data"];
      if (reply.status != 0 && reply.status != 503) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return Status::FailedPrecondition("query " + full + ": " + reply.Describe());
  }

  // Every page of a listing (`items`), concatenated.
  Result<json::value> AllPages(const std::string& target, std::string_view list = "items") {
    json::array all;
    std::string cursor;
    for (;;) {
      const std::string page = target + (cursor.empty() ? "" : "&cursor=" + cursor);
      DUET_ASSIGN_OR_RETURN(json::value data, Data(page));
      const json::array* items = data.at(list).if_array();
      if (items == nullptr) return Status::Corruption("no " + std::string(list) + " in " + page);
      for (const json::value& item : *items) all.push_back(item);
      const json::value* next = data.as_object().if_contains("next_cursor");
      if (next == nullptr || !next->is_string()) return json::value(std::move(all));
      cursor = std::string(next->get_string());
    }
  }

 private:
  NodeClient http_;
  uint64_t head_;
};

}  // namespace

Result<Answers> CollectAnswers(uint16_t port, uint64_t head, const LoadModel& model) {
  Collector collect(port, head);
  Answers answers;
  auto add = [&](const std::string& target) -> Status {
    DUET_ASSIGN_OR_RETURN(answers[target], collect.Data(target));
    return Status::OK();
  };
  DUET_ASSIGN_OR_RETURN(answers["accounts (all pages)"],
                        collect.AllPages("/queries/accounts?limit=1000"));
  DUET_ASSIGN_OR_RETURN(answers["orders (all pages)"],
                        collect.AllPages("/queries/orders?limit=1000"));
  for (const auto& [account, owner] : model.owners) {
    DUET_RETURN_IF_ERROR(add("/queries/balance?account=" + account));
    const std::string statement = "/queries/statement?account=" + account + "&limit=1000";
    DUET_ASSIGN_OR_RETURN(answers[statement + " (all pages)"],
                          collect.AllPages(statement, "entries"));
  }
  size_t statuses = 0;
  for (const auto& [order, expected] : model.orders) {
    if (++statuses > kMaxOrderStatuses) break;
    DUET_RETURN_IF_ERROR(add("/queries/order-status?order=" + order));
  }
  for (std::string_view word : kAccountWords) {
    DUET_RETURN_IF_ERROR(add("/queries/search-accounts?q=" + std::string(word) + "&limit=1000"));
  }
  for (std::string_view word : kOrderWords) {
    DUET_RETURN_IF_ERROR(add("/queries/search-orders?q=" + std::string(word) + "&limit=1000"));
  }
  for (std::string_view bucket : kBuckets) {
    const std::string b(bucket);
    for (std::string_view currency : kCurrencies) {
      const std::string c(currency);
      DUET_RETURN_IF_ERROR(add("/queries/revenue?currency=" + c + "&bucket=" + b));
      DUET_RETURN_IF_ERROR(add("/queries/volume?currency=" + c + "&bucket=" + b));
    }
    DUET_RETURN_IF_ERROR(add("/queries/orders-per-status?bucket=" + b));
  }
  return answers;
}

void CompareAnswers(const std::string& name_a, const Answers& a, const std::string& name_b,
                    const Answers& b, Failures& failures) {
  size_t differences = 0;
  for (const auto& [query, data] : a) {
    auto it = b.find(query);
    if (it == b.end() || it->second == data) continue;
    if (++differences <= 10) {
      failures.push_back("read models differ on " + query + ": " + name_a + " " + Short(data) +
                         " / " + name_b + " " + Short(it->second));
    }
  }
  if (a.size() != b.size())
    failures.push_back(name_a + " and " + name_b + " answered different query sets");
  if (differences > 10) {
    failures.push_back("read models differ on " + std::to_string(differences - 10) +
                       " more queries");
  }
}

namespace {

void CheckBalances(const Answers& answers, const LoadModel& model, Failures& failures) {
  for (const auto& [account, owner] : model.owners) {
    const json::value& data = answers.at("/queries/balance?account=" + account);
    json::object expected;
    auto it = model.balances.find(account);
    if (it != model.balances.end()) {
      for (const auto& [currency, amount] : it->second) {
        if (amount != 0) expected[currency] = amount;
      }
    }
    json::object actual;
    if (const json::object* balances = data.at("balances").if_object()) {
      for (const auto& [currency, amount] : *balances) {
        if (amount != 0) actual[currency] = amount;
      }
    }
    if (actual != expected || data.at("owner") != owner.c_str()) {
      failures.push_back("model: account " + account + " expected owner " + owner + " balances " +
                         json::serialize(expected) + ", read model has " + Short(data));
    }
  }
}

void CheckOrders(const Answers& answers, const LoadModel& model, Failures& failures) {
  const json::array& orders = answers.at("orders (all pages)").as_array();
  if (orders.size() != model.orders.size()) {
    failures.push_back("model: " + std::to_string(model.orders.size()) +
                       " orders acknowledged, the read model lists " +
                       std::to_string(orders.size()));
  }
  size_t reported = 0;
  for (const json::value& doc : orders) {
    const json::value* id = doc.as_object().if_contains("order");
    auto it = id != nullptr && id->is_string() ? model.orders.find(std::string(id->get_string()))
                                               : model.orders.end();
    const bool same = it != model.orders.end() && doc.at("status") == it->second.status.c_str() &&
                      doc.at("customer") == it->second.customer.c_str() &&
                      doc.at("currency") == it->second.currency.c_str() &&
                      doc.at("total") == it->second.total;
    if (!same && ++reported <= 10) {
      std::string expected = it == model.orders.end()
                                 ? "nothing"
                                 : it->second.status + " " + it->second.customer + " " +
                                       std::to_string(it->second.total) + " " + it->second.currency;
      failures.push_back("model: order expected " + expected + ", read model has " + Short(doc));
    }
  }
}

void CheckRevenue(const Answers& answers, const LoadModel& model, Failures& failures) {
  for (std::string_view currency : kCurrencies) {
    const std::string c(currency);
    int64_t sum = 0;
    for (const json::value& row :
         answers.at("/queries/revenue?currency=" + c + "&bucket=day").at("rows").as_array()) {
      sum += row.at("sum").to_number<int64_t>();
    }
    auto it = model.revenue.find(c);
    const int64_t expected = it == model.revenue.end() ? 0 : it->second;
    if (sum != expected) {
      failures.push_back("model: revenue in " + c + " expected " + std::to_string(expected) +
                         ", read model sums to " + std::to_string(sum));
    }
  }
}

}  // namespace

void CheckAgainstModel(const Answers& answers, const LoadModel& model, Failures& failures) {
  CheckBalances(answers, model, failures);
  CheckOrders(answers, model, failures);
  CheckRevenue(answers, model, failures);
}

}  // namespace duet::soak
