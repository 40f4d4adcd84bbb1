// The ledger's commands as the outside world sends them: JSON decoders, field
// rules, handlers, and their registration on a command bus.
#include "ledger/ledger.h"

namespace duet::examples::ledger {
namespace {

constexpr size_t kMaxOwnerBytes = 200;

Status ValidateAmount(int64_t amount) {
  if (amount <= 0) return Status::InvalidArgument("amount", "must be greater than 0");
  return Status::OK();
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

}  // namespace

Status ValidateCurrency(std::string_view field, std::string_view currency) {
  if (currency.size() != 3) return Status::InvalidArgument(field, "must be 3 upper-case letters");
  for (char ch : currency) {
    if (ch < 'A' || ch > 'Z') return Status::InvalidArgument(field, "must be 3 upper-case letters");
  }
  return Status::OK();
}

Status Validate(const OpenAccount& c) {
  DUET_RETURN_IF_ERROR(ValidateId("account", c.account));
  if (c.owner.empty()) return Status::InvalidArgument("owner", "must not be empty");
  if (c.owner.size() > kMaxOwnerBytes) {
    return Status::InvalidArgument("owner", "longer than 200 bytes");
  }
  return Status::OK();
}

Status Validate(const Deposit& c) {
  DUET_RETURN_IF_ERROR(ValidateId("account", c.account));
  DUET_RETURN_IF_ERROR(ValidateCurrency("currency", c.currency));
  return ValidateAmount(c.amount);
}

Status Validate(const Withdraw& c) {
  DUET_RETURN_IF_ERROR(ValidateId("account", c.account));
  DUET_RETURN_IF_ERROR(ValidateCurrency("currency", c.currency));
  return ValidateAmount(c.amount);
}

Status Validate(const CloseAccount& c) { return ValidateId("account", c.account); }

Status Validate(const Transfer& c) {
  DUET_RETURN_IF_ERROR(ValidateId("from", c.from));
  DUET_RETURN_IF_ERROR(ValidateId("to", c.to));
  if (c.from == c.to) return Status::InvalidArgument("to", "must differ from 'from'");
  DUET_RETURN_IF_ERROR(ValidateCurrency("currency", c.currency));
  DUET_RETURN_IF_ERROR(ValidateAmount(c.amount));
  if (!c.transfer.empty()) DUET_RETURN_IF_ERROR(ValidateId("transfer", c.transfer));
  return Status::OK();
}

Status Register(CommandBus& bus) {
  const AccountDecider& accounts = Accounts();
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<OpenAccount>{"OpenAccount",
                               [](JsonReader& f) -> Result<OpenAccount> {
                                 return OpenAccount{f.String("account"), f.String("owner")};
                               },
                               Validate},
      DecideOn(accounts, &OpenAccount::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<Deposit>{"Deposit",
                           [](JsonReader& f) -> Result<Deposit> {
                             return Deposit{f.String("account"), f.String("currency"),
                                            f.Int64("amount")};
                           },
                           Validate},
      DecideOn(accounts, &Deposit::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<Withdraw>{"Withdraw",
                            [](JsonReader& f) -> Result<Withdraw> {
                              return Withdraw{f.String("account"), f.String("currency"),
                                              f.Int64("amount")};
                            },
                            Validate},
      DecideOn(accounts, &Withdraw::account)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<CloseAccount>{"CloseAccount",
                                [](JsonReader& f) -> Result<CloseAccount> {
                                  return CloseAccount{f.String("account")};
                                },
                                Validate},
      DecideOn(accounts, &CloseAccount::account)));
  return bus.Register(
      CommandType<Transfer>{"Transfer",
                            [](JsonReader& f) -> Result<Transfer> {
                              Transfer t{f.String("from"), f.String("to"), f.String("currency"),
                                         f.Int64("amount"),
                                         f.OptionalString("transfer").value_or("")};
                              return t;
                            },
                            Validate},
      CommandHandler<Transfer>(HandleTransfer));
}

}  // namespace duet::examples::ledger
