#include "tests/integration/ledger_history.h"

#include <gtest/gtest.h>

#include "ledger/ledger.h"

namespace duet::testing {

namespace json = boost::json;
namespace lin = linearizability;
using lin::Clock;

std::string JsonText(const json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : json::serialize(value);
}

void RecordReply(const Reply& reply, lin::Operation& op) {
  op.returned = Clock::now();
  if (reply.status == 200) {
    op.outcome = lin::Outcome::kAcknowledged;
    if (const json::array* streams = reply["streams"].if_array()) {
      for (const json::value& s : *streams) {
        op.acked_versions.push_back(lin::AckedVersion{JsonText(s.as_object().at("stream")),
                                                      UintOf(s.as_object().at("version"))});
      }
    } else {
      op.acked_versions.push_back(
          lin::AckedVersion{JsonText(reply["stream"]), UintOf(reply["version"])});
    }
    op.acked_position = UintOf(reply["position"]);
  } else if (reply.status == 409 || reply.status == 422) {
    op.outcome = lin::Outcome::kRefused;
    op.error = reply.status == 409 ? "wrong_expected_version" : JsonText(reply["subject"]);
  } else {
    op.outcome = lin::Outcome::kUnknown;  // no answer, or a server error: either way is allowed
    op.error = reply.Describe();
  }
}

lin::Operation SendLedgerCommand(Api& api, const std::string& id, std::string_view type,
                                 const json::object& body, size_t account_events) {
  lin::Operation op;
  op.command_id = id;
  op.request = std::string(type) + " " + json::serialize(body);
  op.events = account_events + 1;
  op.invoked = Clock::now();
  RecordReply(api.Command(type, body, {{"Idempotency-Key", id}}), op);
  return op;
}

std::string QueriedLedgerBalance(Api& api, const std::string& account, uint64_t min_position) {
  Reply reply = api.Query("balance", "account=" + account, min_position);
  EXPECT_EQ(reply.status, 200u) << reply.Describe();
  if (reply.status != 200) return "";
  const json::value* usd = reply["data"].as_object().at("balances").as_object().if_contains("USD");
  return "USD=" + std::to_string(usd ? UintOf(*usd) : 0);
}

std::vector<lin::LoggedEvent> ReadLog(Api& api) {
  std::vector<lin::LoggedEvent> log;
  for (;;) {
    const uint64_t from = log.empty() ? 1 : log.back().position + 1;
    Reply reply = api.Get("/events?from=" + std::to_string(from) + "&limit=1000");
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    const json::array* events = reply["events"].if_array();
    if (reply.status != 200 || events == nullptr || events->empty()) return log;
    for (const json::value& value : *events) {
      const json::object& e = value.as_object();
      std::string command_id;
      if (const json::object* metadata = e.at("metadata").if_object()) {
        if (const json::value* id = metadata->if_contains("command_id")) command_id = JsonText(*id);
      }
      log.push_back(lin::LoggedEvent{JsonText(e.at("stream")), UintOf(e.at("version")),
                                     UintOf(e.at("position")), command_id, JsonText(e.at("type")),
                                     JsonText(e.at("data"))});
    }
  }
}

LedgerBalanceHistory LedgerBalances(const std::vector<lin::LoggedEvent>& log) {
  LedgerBalanceHistory balances;
  std::map<std::string, examples::ledger::AccountState> states;
  for (const lin::LoggedEvent& e : log) {
    if (e.stream.rfind("account-", 0) != 0) continue;
    auto event = examples::ledger::AccountCodec().Decode(e.type, e.data);
    if (!event.ok()) continue;
    auto& state = states[e.stream.substr(8)];
    state = examples::ledger::EvolveAccount(std::move(state), *event);
    balances[e.stream.substr(8)].emplace_back(e.position, state.Balance("USD"));
  }
  return balances;
}

std::string ReplayLedgerStream(const std::vector<lin::LoggedEvent>& events) {
  if (!events.empty() && events.front().stream.rfind("tally-", 0) == 0) {
    return "count=" + std::to_string(events.size());
  }
  examples::ledger::AccountState state;
  for (const lin::LoggedEvent& e : events) {
    auto event = examples::ledger::AccountCodec().Decode(e.type, e.data);
    if (!event.ok()) return "undecodable " + e.stream + "@" + std::to_string(e.version);
    state = examples::ledger::EvolveAccount(std::move(state), *event);
  }
  return "USD=" + std::to_string(state.Balance("USD"));
}

}  // namespace duet::testing
