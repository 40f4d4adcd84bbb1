// Ledger: multi-currency bank accounts, an example domain on Duet's public API.
//
// Money is in integer minor units (int64, e.g. cents); amounts are > 0; a
// currency is 3 upper-case letters. Each account is an aggregate in stream
// "account-<id>". Rules (DomainRuleViolated subjects):
//   account-already-open   OpenAccount on an account that exists
//   account-not-found      any other command on an account never opened
//   account-closed         any command on a closed account
//   no-overdraft           a withdrawal or transfer larger than the balance
//   balance-overflow       a credit that would overflow int64
//   balance-not-zero       CloseAccount while a balance is not zero
// A transfer to the same account is bad input (InvalidArgument "to").
//
// Transfer touches two aggregates: the bus commits TransferDebited (source)
// and TransferCredited (destination) in one atomic multi-stream append
// (docs/decisions.md, "Ledger transfer").
#ifndef DUET_EXAMPLES_LEDGER_LEDGER_H_
#define DUET_EXAMPLES_LEDGER_LEDGER_H_

#include <duet/app.h>
#include <duet/command_bus.h>
#include <duet/decider.h>
#include <duet/result.h>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace duet::examples::ledger {

// --- Commands ---
struct OpenAccount {
  std::string account;
  std::string owner;
};
struct Deposit {
  std::string account;
  std::string currency;
  int64_t amount = 0;
};
struct Withdraw {
  std::string account;
  std::string currency;
  int64_t amount = 0;
};
struct CloseAccount {
  std::string account;
};
struct Transfer {
  std::string from;
  std::string to;
  std::string currency;
  int64_t amount = 0;
  std::string transfer;  // transfer id; empty: the command id is used
};
using AccountCommand = std::variant<OpenAccount, Deposit, Withdraw, CloseAccount>;

// --- Events (persisted names in ledger.cc never change) ---
struct AccountOpened {
  std::string account;
  std::string owner;
  friend bool operator==(const AccountOpened&, const AccountOpened&) = default;
};
struct MoneyDeposited {
  std::string account;
  std::string currency;
  int64_t amount = 0;
  friend bool operator==(const MoneyDeposited&, const MoneyDeposited&) = default;
};
struct MoneyWithdrawn {
  std::string account;
  std::string currency;
  int64_t amount = 0;
  friend bool operator==(const MoneyWithdrawn&, const MoneyWithdrawn&) = default;
};
struct TransferDebited {  // on the source account
  std::string transfer;
  std::string account;
  std::string to;
  std::string currency;
  int64_t amount = 0;
  friend bool operator==(const TransferDebited&, const TransferDebited&) = default;
};
struct TransferCredited {  // on the destination account
  std::string transfer;
  std::string account;
  std::string from;
  std::string currency;
  int64_t amount = 0;
  friend bool operator==(const TransferCredited&, const TransferCredited&) = default;
};
struct AccountClosed {
  std::string account;
  friend bool operator==(const AccountClosed&, const AccountClosed&) = default;
};
using AccountEvent = std::variant<AccountOpened, MoneyDeposited, MoneyWithdrawn, TransferDebited,
                                  TransferCredited, AccountClosed>;

// --- State ---
struct AccountState {
  enum class Phase : uint8_t { kNew, kOpen, kClosed };
  Phase phase = Phase::kNew;
  std::string owner;
  std::map<std::string, int64_t> balances;  // currency -> minor units (zero entries kept)
  int64_t Balance(const std::string& currency) const;
  friend bool operator==(const AccountState&, const AccountState&) = default;
};

using AccountDecider = Decider<AccountCommand, AccountState, AccountEvent>;

// The account aggregate (category "account"), with snapshots (schema 1).
const AccountDecider& Accounts();
const EventCodec<AccountEvent>& AccountCodec();

// Pure decisions (also used by Accounts().decide).
Result<std::vector<AccountEvent>> DecideAccount(const AccountCommand& command,
                                                const AccountState& state);
struct TransferDecision {
  TransferDebited debit;    // for the source account
  TransferCredited credit;  // for the destination account
};
// REQUIRES: command.transfer is not empty.
Result<TransferDecision> DecideTransfer(const Transfer& command, const AccountState& from,
                                        const AccountState& to);
AccountState EvolveAccount(AccountState state, const AccountEvent& event);

// The rule of a transfer that no single field states: `to` differs from
// `from` (InvalidArgument("to")). Every field rule is in the commands'
// declared contracts, which the bus checks on both paths (CommandBus::Check).
Status Validate(const Transfer& c);
// OK if `currency` is 3 upper-case ASCII letters.
Status ValidateCurrency(std::string_view field, std::string_view currency);

// Registers OpenAccount, Deposit, Withdraw, CloseAccount and Transfer.
Status Register(CommandBus& bus);

// The ledger domain as one value: commands, projections, queries, demo tour and benchmark workload.
duet::Domain Domain();

}  // namespace duet::examples::ledger

#endif  // DUET_EXAMPLES_LEDGER_LEDGER_H_
