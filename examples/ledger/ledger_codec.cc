// How the ledger's events and account state are persisted. The event names
// are the stable persisted types: never rename them.
#include <boost/json.hpp>

#include "ledger/ledger.h"

namespace duet::examples::ledger {
namespace {
namespace json = boost::json;

EventCodec<AccountEvent> MakeCodec() {
  return EventCodec<AccountEvent>{
      EventType<AccountOpened>{"AccountOpened",
                               [](const AccountOpened& e) {
                                 return json::object{{"account", e.account}, {"owner", e.owner}};
                               },
                               [](JsonReader& f) -> Result<AccountOpened> {
                                 return AccountOpened{f.String("account"), f.String("owner")};
                               }},
      EventType<MoneyDeposited>{
          "MoneyDeposited",
          [](const MoneyDeposited& e) {
            return json::object{
                {"account", e.account}, {"currency", e.currency}, {"amount", e.amount}};
          },
          [](JsonReader& f) -> Result<MoneyDeposited> {
            return MoneyDeposited{f.String("account"), f.String("currency"), f.Int64("amount")};
          }},
      EventType<MoneyWithdrawn>{
          "MoneyWithdrawn",
          [](const MoneyWithdrawn& e) {
            return json::object{
                {"account", e.account}, {"currency", e.currency}, {"amount", e.amount}};
          },
          [](JsonReader& f) -> Result<MoneyWithdrawn> {
            return MoneyWithdrawn{f.String("account"), f.String("currency"), f.Int64("amount")};
          }},
      EventType<TransferDebited>{"TransferDebited",
                                 [](const TransferDebited& e) {
                                   return json::object{{"transfer", e.transfer},
                                                       {"account", e.account},
                                                       {"to", e.to},
                                                       {"currency", e.currency},
                                                       {"amount", e.amount}};
                                 },
                                 [](JsonReader& f) -> Result<TransferDebited> {
                                   return TransferDebited{f.String("transfer"), f.String("account"),
                                                          f.String("to"), f.String("currency"),
                                                          f.Int64("amount")};
                                 }},
      EventType<TransferCredited>{"TransferCredited",
                                  [](const TransferCredited& e) {
                                    return json::object{{"transfer", e.transfer},
                                                        {"account", e.account},
                                                        {"from", e.from},
                                                        {"currency", e.currency},
                                                        {"amount", e.amount}};
                                  },
                                  [](JsonReader& f) -> Result<TransferCredited> {
                                    return TransferCredited{
                                        f.String("transfer"), f.String("account"), f.String("from"),
                                        f.String("currency"), f.Int64("amount")};
                                  }},
      EventType<AccountClosed>{"AccountClosed",
                               [](const AccountClosed& e) {
                                 return json::object{{"account", e.account}};
                               },
                               [](JsonReader& f) -> Result<AccountClosed> {
                                 return AccountClosed{f.String("account")};
                               }},
  };
}

const char* PhaseName(AccountState::Phase phase) {
  switch (phase) {
    case AccountState::Phase::kNew: return "new";
    case AccountState::Phase::kOpen: return "open";
    case AccountState::Phase::kClosed: return "closed";
  }
  return "new";
}

json::object EncodeState(const AccountState& s) {
  json::object balances;
  for (const auto& [currency, amount] : s.balances) balances[currency] = amount;
  return json::object{
      {"phase", PhaseName(s.phase)}, {"owner", s.owner}, {"balances", std::move(balances)}};
}

Result<AccountState> DecodeState(JsonReader& f) {
  AccountState s;
  const std::string phase = f.String("phase");
  s.owner = f.String("owner");
  const json::object* balances = f.Object("balances");
  DUET_RETURN_IF_ERROR(f.status());
  if (phase == "open") {
    s.phase = AccountState::Phase::kOpen;
  } else if (phase == "closed") {
    s.phase = AccountState::Phase::kClosed;
  } else if (phase != "new") {
    return Status::InvalidArgument("phase", "unknown phase '" + phase + "'");
  }
  JsonReader amounts(*balances, "balances");
  for (const auto& entry : *balances) {
    s.balances[std::string(entry.key())] = amounts.Int64(entry.key());
  }
  DUET_RETURN_IF_ERROR(amounts.status());
  return s;
}

}  // namespace

// Function-local statics: safe to use from other translation units' static
// initializers, and thread-safe.
const EventCodec<AccountEvent>& AccountCodec() {
  static const EventCodec<AccountEvent> codec = MakeCodec();
  return codec;
}

const AccountDecider& Accounts() {
  static const StateCodec<AccountState> state_codec{1, EncodeState, DecodeState};
  static const AccountDecider accounts{"account",     AccountState{},  DecideAccount,
                                       EvolveAccount, &AccountCodec(), &state_codec};
  return accounts;
}

}  // namespace duet::examples::ledger
