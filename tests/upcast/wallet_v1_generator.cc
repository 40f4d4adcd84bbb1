// Writes the upcasting fixture (tests/fixtures/wallet-v1/): the history of
// two wallets as the FIRST version of a wallet domain wrote it, before its
// events changed shape. It is that old program, kept so the fixture can be
// made again, and deliberately uses nothing newer than the API it was
// written against (no schema versions, no upcasters):
//
//   wallet_v1_generator <empty folder>
//
// Its events, in their version 1 shapes (amounts are decimal strings of
// euros, the only currency then):
//   WalletOpened   {wallet, owner}
//   MoneyDeposited {wallet, amount: "12.50"}
//   DepositWithFee {wallet, amount, fee}   a deposit that paid a fee
//   FundsWithdrawn {wallet, amount}
//   WalletViewed   {wallet}                an audit record, later dropped
// tests/upcast/wallet.h is the domain as it is now, reading these through
// its upcasters.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "duet/command_bus.h"
#include "duet/decider.h"
#include "duet/embedded_store.h"
#include "duet/repository.h"

namespace wallet_v1 {
namespace {

namespace json = boost::json;
using duet::EventType;
using duet::JsonReader;
using duet::Result;
using duet::Status;

struct OpenWallet {
  std::string wallet, owner;
};
struct Deposit {
  std::string wallet, amount;
};
struct DepositWithFee {
  std::string wallet, amount, fee;
};
struct Withdraw {
  std::string wallet, amount;
};
struct ViewWallet {
  std::string wallet;
};
using Command = std::variant<OpenWallet, Deposit, DepositWithFee, Withdraw, ViewWallet>;

struct WalletOpened {
  std::string wallet, owner;
};
struct MoneyDeposited {
  std::string wallet, amount;
};
struct DepositFeePaid {  // persisted as "DepositWithFee"
  std::string wallet, amount, fee;
};
struct FundsWithdrawn {
  std::string wallet, amount;
};
struct WalletViewed {
  std::string wallet;
};
using Event =
    std::variant<WalletOpened, MoneyDeposited, DepositFeePaid, FundsWithdrawn, WalletViewed>;

struct State {
  bool open = false;
  int64_t cents = 0;
};

// "12.50" -> 1250: digits, a point, two digits.
std::optional<int64_t> Cents(const std::string& amount) {
  const size_t point = amount.find('.');
  if (point == std::string::npos || point == 0 || amount.size() - point != 3) return std::nullopt;
  int64_t cents = 0;
  for (char c : amount) {
    if (c == '.') continue;
    if (c < '0' || c > '9') return std::nullopt;
    cents = cents * 10 + (c - '0');
  }
  return cents;
}

Result<std::vector<Event>> Decide(const Command& command, const State& state) {
  if (const auto* open = std::get_if<OpenWallet>(&command)) {
    if (state.open) return Status::DomainRuleViolated("wallet-already-open", open->wallet);
    return std::vector<Event>{WalletOpened{open->wallet, open->owner}};
  }
  if (!state.open) return Status::DomainRuleViolated("wallet-not-found", "no such wallet");
  if (const auto* deposit = std::get_if<Deposit>(&command)) {
    if (!Cents(deposit->amount)) return Status::InvalidArgument("amount", "not like 12.50");
    return std::vector<Event>{MoneyDeposited{deposit->wallet, deposit->amount}};
  }
  if (const auto* deposit = std::get_if<DepositWithFee>(&command)) {
    if (!Cents(deposit->amount) || !Cents(deposit->fee)) {
      return Status::InvalidArgument("amount", "not like 12.50");
    }
    return std::vector<Event>{DepositFeePaid{deposit->wallet, deposit->amount, deposit->fee}};
  }
  if (const auto* withdraw = std::get_if<Withdraw>(&command)) {
    std::optional<int64_t> cents = Cents(withdraw->amount);
    if (!cents) return Status::InvalidArgument("amount", "not like 12.50");
    if (*cents > state.cents) return Status::DomainRuleViolated("no-overdraft", withdraw->wallet);
    return std::vector<Event>{FundsWithdrawn{withdraw->wallet, withdraw->amount}};
  }
  return std::vector<Event>{WalletViewed{std::get<ViewWallet>(command).wallet}};
}

State Evolve(State state, const Event& event) {
  if (std::holds_alternative<WalletOpened>(event)) state.open = true;
  if (const auto* e = std::get_if<MoneyDeposited>(&event)) state.cents += *Cents(e->amount);
  if (const auto* e = std::get_if<DepositFeePaid>(&event)) {
    state.cents += *Cents(e->amount) - *Cents(e->fee);
  }
  if (const auto* e = std::get_if<FundsWithdrawn>(&event)) state.cents -= *Cents(e->amount);
  return state;
}

const duet::EventCodec<Event>& Codec() {
  static const duet::EventCodec<Event> codec{
      EventType<WalletOpened>{"WalletOpened",
                              [](const WalletOpened& e) {
                                return json::object{{"wallet", e.wallet}, {"owner", e.owner}};
                              },
                              [](JsonReader& f) -> Result<WalletOpened> {
                                return WalletOpened{f.String("wallet"), f.String("owner")};
                              }},
      EventType<MoneyDeposited>{"MoneyDeposited",
                                [](const MoneyDeposited& e) {
                                  return json::object{{"wallet", e.wallet}, {"amount", e.amount}};
                                },
                                [](JsonReader& f) -> Result<MoneyDeposited> {
                                  return MoneyDeposited{f.String("wallet"), f.String("amount")};
                                }},
      EventType<DepositFeePaid>{
          "DepositWithFee",
          [](const DepositFeePaid& e) {
            return json::object{{"wallet", e.wallet}, {"amount", e.amount}, {"fee", e.fee}};
          },
          [](JsonReader& f) -> Result<DepositFeePaid> {
            return DepositFeePaid{f.String("wallet"), f.String("amount"), f.String("fee")};
          }},
      EventType<FundsWithdrawn>{"FundsWithdrawn",
                                [](const FundsWithdrawn& e) {
                                  return json::object{{"wallet", e.wallet}, {"amount", e.amount}};
                                },
                                [](JsonReader& f) -> Result<FundsWithdrawn> {
                                  return FundsWithdrawn{f.String("wallet"), f.String("amount")};
                                }},
      EventType<WalletViewed>{
          "WalletViewed",
          [](const WalletViewed& e) {
            return json::object{{"wallet", e.wallet}};
          },
          [](JsonReader& f) -> Result<WalletViewed> { return WalletViewed{f.String("wallet")}; }},
  };
  return codec;
}

using WalletDecider = duet::Decider<Command, State, Event>;

const WalletDecider& Wallets() {
  static const WalletDecider wallets{"wallet", State{}, Decide, Evolve, &Codec()};
  return wallets;
}

template <typename Cmd>
Status Register(duet::CommandBus& bus, std::string_view name, Result<Cmd> (*decode)(JsonReader&)) {
  return bus.Register(duet::CommandType<Cmd>{.name = name, .decode = decode},
                      duet::DecideOn(Wallets(), &Cmd::wallet));
}

Status RegisterAll(duet::CommandBus& bus) {
  DUET_RETURN_IF_ERROR(
      Register<OpenWallet>(bus, "OpenWallet", [](JsonReader& f) -> Result<OpenWallet> {
        return OpenWallet{f.String("wallet"), f.String("owner")};
      }));
  DUET_RETURN_IF_ERROR(Register<Deposit>(bus, "Deposit", [](JsonReader& f) -> Result<Deposit> {
    return Deposit{f.String("wallet"), f.String("amount")};
  }));
  DUET_RETURN_IF_ERROR(
      Register<DepositWithFee>(bus, "DepositWithFee", [](JsonReader& f) -> Result<DepositWithFee> {
        return DepositWithFee{f.String("wallet"), f.String("amount"), f.String("fee")};
      }));
  DUET_RETURN_IF_ERROR(Register<Withdraw>(bus, "Withdraw", [](JsonReader& f) -> Result<Withdraw> {
    return Withdraw{f.String("wallet"), f.String("amount")};
  }));
  return Register<ViewWallet>(bus, "ViewWallet", [](JsonReader& f) -> Result<ViewWallet> {
    return ViewWallet{f.String("wallet")};
  });
}

// The history: ada's wallet ends at 19.05 EUR (fees 0.50), bob's at 60.00.
// Each command carries an id, so the metadata is what a real client's is.
struct Step {
  const char* type;
  const char* body;
};
constexpr Step kHistory[] = {
    {"OpenWallet", R"({"wallet":"ada","owner":"Ada Lovelace"})"},
    {"Deposit", R"({"wallet":"ada","amount":"12.50"})"},
    {"OpenWallet", R"({"wallet":"bob","owner":"Bob Babbage"})"},
    {"DepositWithFee", R"({"wallet":"ada","amount":"10.00","fee":"0.50"})"},
    {"ViewWallet", R"({"wallet":"ada"})"},
    {"Deposit", R"({"wallet":"bob","amount":"100.00"})"},
    {"Withdraw", R"({"wallet":"ada","amount":"3.00"})"},
    {"ViewWallet", R"({"wallet":"bob"})"},
    {"Withdraw", R"({"wallet":"bob","amount":"40.00"})"},
    {"Deposit", R"({"wallet":"ada","amount":"0.05"})"},
};

int Run(const char* folder) {
  duet::StoreOptions store_options;
  // The smallest segment the store takes keeps the fixture small.
  store_options.segment_size_bytes = 1 << 20;
  auto store = duet::EmbeddedStore::Open(folder, store_options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  duet::RepositoryOptions repository_options;  // no snapshots: only the log is the fixture
  duet::Repository repository(store->get(), repository_options);
  duet::CommandBus bus(&repository);
  if (Status registered = RegisterAll(bus); !registered.ok()) {
    std::fprintf(stderr, "%s\n", registered.ToString().c_str());
    return 1;
  }
  int step = 0;
  for (const Step& s : kHistory) {
    duet::CommandOptions options;
    options.command_id = "fixture-" + std::to_string(++step);
    auto result = bus.Dispatch(s.type, s.body, options);
    if (!result.ok()) {
      std::fprintf(stderr, "%s %s: %s\n", s.type, s.body, result.status().ToString().c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace wallet_v1

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <empty folder>\n", argv[0]);
    return 2;
  }
  return wallet_v1::Run(argv[1]);
}
