#include "tests/upcast/wallet.h"

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "duet/command_bus.h"
#include "duet/projection.h"
#include "duet/query_bus.h"

namespace duet::testing::wallet {
namespace {

namespace json = boost::json;

// The first version knew one currency.
constexpr char kVersion1Currency[] = "EUR";

// A version 1 amount, "12.50", in minor units (1250); nullopt if malformed.
std::optional<int64_t> MinorUnits(const json::value* amount) {
  if (amount == nullptr || !amount->is_string()) return std::nullopt;
  const json::string& text = amount->get_string();
  const size_t point = std::string_view(text).find('.');
  if (point == std::string_view::npos || point == 0 || text.size() - point != 3 ||
      text.size() > 18) {
    return std::nullopt;
  }
  int64_t minor = 0;
  for (char c : text) {
    if (c == '.') continue;
    if (c < '0' || c > '9') return std::nullopt;
    minor = minor * 10 + (c - '0');
  }
  return minor;
}

// The {wallet, amount_minor, currency} of version 1's `amount_field`.
Result<json::object> Amount(const json::object& v1, std::string_view amount_field) {
  std::optional<int64_t> minor = MinorUnits(v1.if_contains(amount_field));
  if (!minor) {
    return Status::InvalidArgument(amount_field, "not a version 1 amount like \"12.50\"");
  }
  const json::value* wallet = v1.if_contains("wallet");
  return json::object{{"wallet", wallet != nullptr ? *wallet : json::value("")},
                      {"amount_minor", *minor},
                      {"currency", kVersion1Currency}};
}

Result<std::vector<UpcastEvent>> DepositV1(const UpcastEvent& event) {
  DUET_ASSIGN_OR_RETURN(json::object v2, Amount(event.data.as_object(), "amount"));
  return std::vector<UpcastEvent>{{"MoneyDeposited", 2, std::move(v2)}};
}

Result<std::vector<UpcastEvent>> DepositWithFeeV1(const UpcastEvent& event) {
  DUET_ASSIGN_OR_RETURN(json::object deposit, Amount(event.data.as_object(), "amount"));
  DUET_ASSIGN_OR_RETURN(json::object fee, Amount(event.data.as_object(), "fee"));
  return std::vector<UpcastEvent>{{"MoneyDeposited", 2, std::move(deposit)},
                                  {"FeeCharged", 1, std::move(fee)}};
}

Result<std::vector<UpcastEvent>> FundsWithdrawnV1(const UpcastEvent& event) {
  DUET_ASSIGN_OR_RETURN(json::object withdrawn, Amount(event.data.as_object(), "amount"));
  return std::vector<UpcastEvent>{{"MoneyWithdrawn", 1, std::move(withdrawn)}};
}

Result<std::vector<UpcastEvent>> WalletViewedV1(const UpcastEvent&) {
  return std::vector<UpcastEvent>{};  // an audit record: nothing reads it any more
}

template <typename E>
json::object EncodeAmount(const E& e) {
  return json::object{
      {"wallet", e.wallet}, {"amount_minor", e.amount_minor}, {"currency", e.currency}};
}

template <typename E>
Result<E> DecodeAmount(JsonReader& f) {
  return E{f.String("wallet"), f.Int64("amount_minor"), f.String("currency")};
}

EventCodec<WalletEvent> MakeCodec() {
  return EventCodec<WalletEvent>{
      EventType<WalletOpened>{"WalletOpened",
                              [](const WalletOpened& e) {
                                return json::object{{"wallet", e.wallet}, {"owner", e.owner}};
                              },
                              [](JsonReader& f) -> Result<WalletOpened> {
                                return WalletOpened{f.String("wallet"), f.String("owner")};
                              }},
      EventType<MoneyDeposited>{"MoneyDeposited", EncodeAmount<MoneyDeposited>,
                                DecodeAmount<MoneyDeposited>, 2},
      EventType<MoneyWithdrawn>{"MoneyWithdrawn", EncodeAmount<MoneyWithdrawn>,
                                DecodeAmount<MoneyWithdrawn>},
      EventType<FeeCharged>{"FeeCharged", EncodeAmount<FeeCharged>, DecodeAmount<FeeCharged>},
  };
}

Result<std::vector<WalletEvent>> Decide(const WalletCommand& command, const WalletState& state) {
  if (const auto* open = std::get_if<OpenWallet>(&command)) {
    if (state.open) return Status::DomainRuleViolated("wallet-already-open", open->wallet);
    return std::vector<WalletEvent>{WalletOpened{open->wallet, open->owner}};
  }
  if (!state.open) return Status::DomainRuleViolated("wallet-not-found", "no such wallet");
  if (const auto* deposit = std::get_if<Deposit>(&command)) {
    return std::vector<WalletEvent>{
        MoneyDeposited{deposit->wallet, deposit->amount_minor, deposit->currency}};
  }
  const auto& withdraw = std::get<Withdraw>(command);
  auto balance = state.balances.find(withdraw.currency);
  if (balance == state.balances.end() || balance->second < withdraw.amount_minor) {
    return Status::DomainRuleViolated("no-overdraft", withdraw.wallet + " " + withdraw.currency);
  }
  return std::vector<WalletEvent>{
      MoneyWithdrawn{withdraw.wallet, withdraw.amount_minor, withdraw.currency}};
}

WalletState Evolve(WalletState state, const WalletEvent& event) {
  if (const auto* opened = std::get_if<WalletOpened>(&event)) {
    state.open = true;
    state.owner = opened->owner;
  } else if (const auto* deposited = std::get_if<MoneyDeposited>(&event)) {
    state.balances[deposited->currency] += deposited->amount_minor;
  } else if (const auto* withdrawn = std::get_if<MoneyWithdrawn>(&event)) {
    state.balances[withdrawn->currency] -= withdrawn->amount_minor;
  } else if (const auto* fee = std::get_if<FeeCharged>(&event)) {
    state.balances[fee->currency] -= fee->amount_minor;
  }
  return state;
}

json::object EncodeState(const WalletState& s) {
  json::object balances;
  for (const auto& [currency, minor] : s.balances) balances[currency] = minor;
  return json::object{{"open", s.open}, {"owner", s.owner}, {"balances", std::move(balances)}};
}

Result<WalletState> DecodeState(JsonReader& f) {
  WalletState s;
  s.open = f.Bool("open");
  s.owner = f.String("owner");
  const json::object* balances = f.Object("balances");
  DUET_RETURN_IF_ERROR(f.status());
  JsonReader amounts(*balances, "balances");
  for (const auto& entry : *balances) s.balances[entry.key()] = amounts.Int64(entry.key());
  DUET_RETURN_IF_ERROR(amounts.status());
  return s;
}

// ------------------------------------------------------------------ wallets

class WalletsProjection final : public DocumentProjection {
 public:
  WalletsProjection() {
    info_.name = kWalletsView;
    // Only today's types: a projection never names a shape its upcasters
    // replaced (DepositWithFee, FundsWithdrawn, WalletViewed).
    info_.event_types = {"WalletOpened", "MoneyDeposited", "MoneyWithdrawn", "FeeCharged"};
  }
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(WalletEvent decoded, WalletCodec().Decode(event.type, event.data));
    if (const auto* opened = std::get_if<WalletOpened>(&decoded)) {
      return txn.Put(opened->wallet, json::object{{"wallet", opened->wallet},
                                                  {"owner", opened->owner},
                                                  {"balances", json::object{}},
                                                  {"fees_minor", 0},
                                                  {"deposits", 0}});
    }
    const std::string& wallet = std::visit([](const auto& e) { return e.wallet; }, decoded);
    DUET_ASSIGN_OR_RETURN(json::object * doc, txn.GetForUpdate(wallet));
    if (doc == nullptr) return Status::NotFound("wallet", "'" + wallet + "' was never opened");
    json::object& balances = (*doc)["balances"].as_object();
    auto add = [&balances](const std::string& currency, int64_t delta) {
      const json::value* current = balances.if_contains(currency);
      balances[currency] = (current != nullptr ? current->as_int64() : 0) + delta;
    };
    if (const auto* deposited = std::get_if<MoneyDeposited>(&decoded)) {
      add(deposited->currency, deposited->amount_minor);
      (*doc)["deposits"] = (*doc)["deposits"].as_int64() + 1;
    } else if (const auto* withdrawn = std::get_if<MoneyWithdrawn>(&decoded)) {
      add(withdrawn->currency, -withdrawn->amount_minor);
    } else if (const auto* fee = std::get_if<FeeCharged>(&decoded)) {
      add(fee->currency, -fee->amount_minor);
      (*doc)["fees_minor"] = (*doc)["fees_minor"].as_int64() + fee->amount_minor;
    }
    return Status::OK();
  }

 private:
  ProjectionInfo info_;
};

Result<QueryResult> GetWallet(const QueryParams& params, DocumentStore& store) {
  const std::string wallet = params.String("wallet");
  DUET_ASSIGN_OR_RETURN(DocumentRead read, store.Get(wallet));
  if (!read.doc) return Status::NotFound("wallet", "no wallet '" + wallet + "'");
  return QueryResult{.value = std::move(*read.doc), .position = read.position};
}

FieldSpec WalletField() {
  return {.name = "wallet", .type = FieldType::kString, .pattern = {kIdPattern, "an id"}};
}

template <typename Cmd>
Result<Cmd> DecodeMove(JsonReader& f) {
  return Cmd{f.String("wallet"), f.Int64("amount_minor"), f.String("currency")};
}

template <typename Cmd>
CommandType<Cmd> MoveCommand(std::string_view name) {
  return {.name = name,
          .decode = DecodeMove<Cmd>,
          .fields = {
              WalletField(),
              {.name = "amount_minor", .type = FieldType::kInteger, .minimum = 1},
              {.name = "currency", .type = FieldType::kString, .min_length = 3, .max_length = 3}}};
}

Status RegisterCommands(CommandBus& bus) {
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<OpenWallet>{.name = "OpenWallet",
                              .decode = [](JsonReader& f) -> Result<OpenWallet> {
                                return OpenWallet{f.String("wallet"), f.String("owner")};
                              },
                              .fields = {WalletField(), {.name = "owner"}}},
      DecideOn(Wallets(), &OpenWallet::wallet)));
  DUET_RETURN_IF_ERROR(
      bus.Register(MoveCommand<Deposit>("Deposit"), DecideOn(Wallets(), &Deposit::wallet)));
  return bus.Register(MoveCommand<Withdraw>("Withdraw"), DecideOn(Wallets(), &Withdraw::wallet));
}

Status RegisterQueries(QueryBus& bus) {
  return bus.Register(
      QueryDefinition{.name = "wallet",
                      .read_model = kWalletsView,
                      .params = {{.name = "wallet", .max_length = 128}},
                      .handler = On<DocumentStore>(GetWallet),
                      .description = "a wallet's balances, fees and number of deposits"});
}

}  // namespace

const EventCodec<WalletEvent>& WalletCodec() {
  static const EventCodec<WalletEvent> codec = MakeCodec();
  return codec;
}

const WalletDecider& Wallets() {
  static const StateCodec<WalletState> state_codec{1, EncodeState, DecodeState};
  static const WalletDecider wallets{"wallet", WalletState{},  Decide,
                                     Evolve,   &WalletCodec(), &state_codec};
  return wallets;
}

std::vector<Upcaster> WalletUpcasters() {
  return {{"MoneyDeposited", 1, DepositV1},
          {"DepositWithFee", 1, DepositWithFeeV1},
          {"FundsWithdrawn", 1, FundsWithdrawnV1},
          {"WalletViewed", 1, WalletViewedV1}};
}

duet::Domain Domain() {
  duet::Domain domain;
  domain.name = "wallet";
  domain.register_commands = RegisterCommands;
  domain.projections = [] {
    std::vector<std::unique_ptr<Projection>> projections;
    projections.push_back(std::make_unique<WalletsProjection>());
    return projections;
  };
  domain.register_queries = RegisterQueries;
  domain.upcasters = WalletUpcasters();
  return domain;
}

}  // namespace duet::testing::wallet
