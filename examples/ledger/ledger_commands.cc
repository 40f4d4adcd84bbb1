// The ledger's commands as the outside world sends them: each command's
// contract (its fields, declared once: duet/contract.h), JSON decoders,
// handlers, and their registration on a command bus.
//
// The contract is the one statement of the field rules. The bus checks JSON
// bodies against it, and typed commands through their JSON form (to_json), so
// a C++ caller gets the same answer as an HTTP client; Validate() adds the
// rule one field cannot state alone.
#include <boost/json.hpp>

#include "ledger/ledger.h"

namespace duet::examples::ledger {
namespace {

namespace json = boost::json;

constexpr size_t kMaxOwnerBytes = 200;
constexpr size_t kMaxIdBytes = 128;

FieldSpec IdField(std::string name, std::string description, bool required = true) {
  return {.name = std::move(name),
          .required = required,
          .description = std::move(description),
          .min_length = 1,
          .max_length = kMaxIdBytes,
          .pattern = FieldPattern(kIdPattern, "may contain only [A-Za-z0-9-_.:@]")};
}

const FieldPattern& CurrencyPattern() {
  static const auto* pattern = new FieldPattern("^[A-Z]{3}$", "must be 3 upper-case letters");
  return *pattern;
}

FieldSpec CurrencyField() {
  return {.name = "currency",
          .description = "3 upper-case letters, e.g. USD",
          .pattern = CurrencyPattern()};
}

FieldSpec AmountField(std::string description) {
  return {.name = "amount",
          .type = FieldType::kInteger,
          .description = std::move(description),
          .minimum = 1};
}

// Each contract is built once (its patterns compile once) and lives for the
// process: Register copies it into every bus.
const std::vector<FieldSpec>& OpenAccountFields() {
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("account", "the new account's id"),
      {.name = "owner",
       .description = "the account holder's name",
       .min_length = 1,
       .max_length = kMaxOwnerBytes},
  };
  return *fields;
}

const std::vector<FieldSpec>& MovementFields() {  // Deposit and Withdraw
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("account", "the account's id"),
      CurrencyField(),
      AmountField("minor units (e.g. cents), greater than 0"),
  };
  return *fields;
}

const std::vector<FieldSpec>& CloseAccountFields() {
  static const auto* fields = new std::vector<FieldSpec>{IdField("account", "the account's id")};
  return *fields;
}

const std::vector<FieldSpec>& TransferFields() {
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("from", "the account debited"),
      IdField("to", "the account credited; not `from`"),
      CurrencyField(),
      AmountField("minor units moved, greater than 0"),
      IdField("transfer", "the transfer's id; absent: the command id", /*required=*/false),
  };
  return *fields;
}

Status HandleTransfer(const Transfer& command, UnitOfWork& unit) {
  Transfer c = command;
  if (c.transfer.empty()) c.transfer = unit.command_id();  // stable across retries
  Result<AccountState> from = unit.Load(Accounts(), c.from);
  if (!from.ok()) return from.status();
  Result<AccountState> to = unit.Load(Accounts(), c.to);
  if (!to.ok()) return to.status();
  Result<TransferDecision> decision = DecideTransfer(c, *from, *to);
  if (!decision.ok()) return decision.status();
  DUET_RETURN_IF_ERROR(unit.Record(Accounts(), c.from, {decision->debit}));
  return unit.Record(Accounts(), c.to, {decision->credit});
}

// Each command as its JSON body, for the contract check of a typed dispatch.
json::object ToJson(const OpenAccount& c) { return {{"account", c.account}, {"owner", c.owner}}; }
json::object ToJson(const Deposit& c) {
  return {{"account", c.account}, {"currency", c.currency}, {"amount", c.amount}};
}
json::object ToJson(const Withdraw& c) {
  return {{"account", c.account}, {"currency", c.currency}, {"amount", c.amount}};
}
json::object ToJson(const CloseAccount& c) { return {{"account", c.account}}; }
json::object ToJson(const Transfer& c) {
  json::object body{{"from", c.from}, {"to", c.to}, {"currency", c.currency}, {"amount", c.amount}};
  if (!c.transfer.empty()) body["transfer"] = c.transfer;
  return body;
}

}  // namespace

Status ValidateCurrency(std::string_view field, std::string_view currency) {
  if (CurrencyPattern().Matches(currency)) return Status::OK();
  return Status::InvalidArgument(field, CurrencyPattern().hint());
}

Status Validate(const Transfer& c) {
  if (c.from == c.to) return Status::InvalidArgument("to", "must differ from 'from'");
  return Status::OK();
}

Status Register(CommandBus& bus) {
  const AccountDecider& accounts = Accounts();
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<OpenAccount>{
          .name = "OpenAccount",
          .decode = [](JsonReader& f) -> Result<OpenAccount> {
            return OpenAccount{f.String("account"), f.String("owner")};
          },
          .fields = OpenAccountFields(),
          .description = "Open an account for an owner (refused if the id is taken).",
          .example = R"({"account":"alice","owner":"Alice"})",
          .to_json = ToJson},
      DecideOn(accounts, &OpenAccount::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<Deposit>{
          .name = "Deposit",
          .decode = [](JsonReader& f) -> Result<Deposit> {
            return Deposit{f.String("account"), f.String("currency"), f.Int64("amount")};
          },
          .fields = MovementFields(),
          .description = "Credit an open account in one currency.",
          .example = R"({"account":"alice","currency":"USD","amount":1000})",
          .to_json = ToJson},
      DecideOn(accounts, &Deposit::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<Withdraw>{
          .name = "Withdraw",
          .decode = [](JsonReader& f) -> Result<Withdraw> {
            return Withdraw{f.String("account"), f.String("currency"), f.Int64("amount")};
          },
          .fields = MovementFields(),
          .description = "Debit an open account; never below zero (no-overdraft).",
          .example = R"({"account":"alice","currency":"USD","amount":250})",
          .to_json = ToJson},
      DecideOn(accounts, &Withdraw::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<CloseAccount>{.name = "CloseAccount",
                                .decode = [](JsonReader& f) -> Result<CloseAccount> {
                                  return CloseAccount{f.String("account")};
                                },
                                .fields = CloseAccountFields(),
                                .description = "Close an account whose every balance is zero.",
                                .example = R"({"account":"carol"})",
                                .to_json = ToJson},
      DecideOn(accounts, &CloseAccount::account)));
  return bus.Register(
      CommandType<Transfer>{
          .name = "Transfer",
          .decode = [](JsonReader& f) -> Result<Transfer> {
            return Transfer{f.String("from"), f.String("to"), f.String("currency"),
                            f.Int64("amount"), f.OptionalString("transfer").value_or("")};
          },
          .validate = Validate,
          .fields = TransferFields(),
          .description = "Move money between two open accounts in one atomic commit.",
          .example =
              R"({"from":"alice","to":"bob","currency":"USD","amount":100,"transfer":"t-1"})",
          .to_json = ToJson},
      CommandHandler<Transfer>(HandleTransfer));
}

}  // namespace duet::examples::ledger
