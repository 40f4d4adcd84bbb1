// The ledger as one value (duet/app.h): its commands, read side, demo tour
// and benchmark workload, for the `duet` binary and any other host.
#include <random>

#include "ledger/ledger.h"
#include "ledger/ledger_views.h"

namespace duet::examples::ledger {
namespace {

constexpr const char* kCurrencies[] = {"EUR", "USD", "GBP"};

std::string AccountId(uint64_t i) { return "acct-" + std::to_string(i); }

// Appends ledger events until the store holds `events`: each account opened
// once, then deposits, withdrawals and transfer legs in batches of 100 events
// per account stream. Deterministic (seeded), so runs compare.
Status AppendHistory(EventStore& store, uint64_t events, uint64_t accounts) {
  const auto& codec = AccountCodec();
  std::mt19937_64 rng(42);
  auto encode = [&](const AccountEvent& e) {
    return EventData{{}, std::string(codec.Name(e)), codec.EncodeData(e), "{}"};
  };
  uint64_t have = store.HeadPosition().value;
  for (uint64_t a = have; a < accounts && have < events; ++a, ++have) {
    std::vector<EventData> open{
        encode(AccountOpened{AccountId(a), "Owner " + std::to_string(a % 997)})};
    DUET_RETURN_IF_ERROR(
        store.Append("account-" + AccountId(a), ExpectedVersion::Any(), open).status());
  }
  std::vector<EventData> batch;
  while (have < events) {
    const std::string account = AccountId(rng() % accounts);
    batch.clear();
    for (int i = 0; i < 100 && have + batch.size() < events; ++i) {
      const std::string currency = kCurrencies[rng() % 3];
      const int64_t amount = static_cast<int64_t>(rng() % 10000) + 1;
      switch (rng() % 4) {
        case 0:
        case 1: batch.push_back(encode(MoneyDeposited{account, currency, amount})); break;
        case 2: batch.push_back(encode(MoneyWithdrawn{account, currency, amount / 4})); break;
        default:
          batch.push_back(
              encode(TransferDebited{"t-" + std::to_string(have + batch.size()), account,
                                     AccountId(rng() % accounts), currency, amount / 8}));
      }
    }
    DUET_RETURN_IF_ERROR(
        store.Append("account-" + account, ExpectedVersion::Any(), batch).status());
    have += batch.size();
  }
  return Status::OK();
}

std::vector<SampleCommand> Tour() {
  return {
      {.type = "OpenAccount",
       .json = R"({"account":"alice","owner":"Alice"})",
       .note = "Open two accounts"},
      {.type = "OpenAccount", .json = R"({"account":"bob","owner":"Bob"})"},
      {.type = "Deposit",
       .json = R"({"account":"alice","currency":"EUR","amount":10000})",
       .note = "Deposit in two currencies"},
      {.type = "Deposit", .json = R"({"account":"alice","currency":"USD","amount":2500})"},
      {.type = "Transfer",
       .json = R"({"from":"alice","to":"bob","currency":"EUR","amount":4000})",
       .command_id = "demo-transfer-1",
       .note = "Transfer: both accounts change in one atomic multi-stream append"},
      {.type = "Transfer",
       .json = R"({"from":"alice","to":"bob","currency":"EUR","amount":4000})",
       .command_id = "demo-transfer-1",
       .note = "The same command id again: the original result, nothing appended"},
      {.type = "Withdraw",
       .json = R"({"account":"bob","currency":"USD","amount":1})",
       .note = "No overdraft in any currency: a domain rule"},
      {.type = "Deposit",
       .json = R"({"account":"alice","currency":"euro","amount":5})",
       .note = "Bad input names the field"},
  };
}

DomainBench Bench() {
  DomainBench bench;
  bench.setup = [](uint64_t keys) {
    std::vector<SampleCommand> open;
    for (uint64_t a = 0; a < keys; ++a) {
      open.push_back({.type = "OpenAccount",
                      .json = R"({"account":"bench-)" + std::to_string(a) + R"(","owner":"Owner )" +
                              std::to_string(a) + "\"}"});
    }
    return open;
  };
  bench.command = [](uint64_t key) {
    return SampleCommand{.type = "Deposit",
                         .json = R"({"account":"bench-)" + std::to_string(key) +
                                 R"(","currency":"EUR","amount":100})"};
  };
  bench.history = AppendHistory;
  auto account = [](uint64_t i, uint64_t keys) {
    return AccountId((i * 2654435761u) % keys);  // spread over the accounts, repeatable
  };
  bench.queries = {
      {.label = "store_get",
       .call =
           [account](App& app, uint64_t i, uint64_t keys) {
             // The document store's own Get (plus the serving-store lookup):
             // what the query bus adds shows against "balance".
             auto store = app.projections()->ServingStore(kAccountsView);
             if (!store.ok()) return false;
             auto read = static_cast<DocumentStore&>(**store).Get(account(i, keys));
             return read.ok() && read->doc.has_value();
           }},
      {.label = "balance",
       .make =
           [account](uint64_t i, uint64_t keys) {
             return SampleQuery{"balance", R"({"account":")" + account(i, keys) + "\"}"};
           }},
      {.label = "accounts_page",
       .make =
           [](uint64_t i, uint64_t) {
             return SampleQuery{
                 "accounts", R"({"owner":"Owner )" + std::to_string(i % 997) + R"(","limit":20})"};
           }},
      {.label = "statement_page",
       .make =
           [account](uint64_t i, uint64_t keys) {
             return SampleQuery{"statement",
                                R"({"account":")" + account(i, keys) + R"(","limit":50})"};
           }},
      {.label = "search_accounts",
       .make =
           [](uint64_t i, uint64_t) {
             return SampleQuery{"search-accounts",
                                R"({"q":"owner )" + std::to_string(i % 997) + "\"}"};
           }},
      {.label = "volume_day",
       .make =
           [](uint64_t i, uint64_t) {
             return SampleQuery{"volume", R"({"currency":")" + std::string(kCurrencies[i % 3]) +
                                              R"(","bucket":"day"})"};
           },
       .iterations_divisor = 10},
  };
  return bench;
}

}  // namespace

duet::Domain Domain() {
  return {.name = "ledger",
          .register_commands = Register,
          .projections = LedgerProjections,
          .register_queries = RegisterLedgerQueries,
          .tour = Tour(),
          .tour_queries = {{"balance", R"({"account":"alice"})"},
                           {"statement", R"({"account":"bob"})"},
                           {"search-accounts", R"({"q":"ali"})"}},
          .bench = Bench()};
}

}  // namespace duet::examples::ledger
