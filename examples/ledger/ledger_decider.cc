// The pure part of the ledger: decide and evolve.
#include <limits>

#include "ledger/ledger.h"

namespace duet::examples::ledger {
namespace {

// Evolve is total: replaying any log must not be undefined behaviour, so it
// wraps where decide would have refused.
int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

using Phase = AccountState::Phase;

// The rule every command but OpenAccount shares: the account must be open.
Status RequireOpen(const AccountState& state, const std::string& account) {
  if (state.phase == Phase::kNew) {
    return Status::DomainRuleViolated("account-not-found", "account '" + account + "' is not open");
  }
  if (state.phase == Phase::kClosed) {
    return Status::DomainRuleViolated("account-closed", "account '" + account + "' is closed");
  }
  return Status::OK();
}

Status RequireFunds(const AccountState& state, const std::string& account,
                    const std::string& currency, int64_t amount) {
  const int64_t balance = state.Balance(currency);
  if (amount > balance) {
    return Status::DomainRuleViolated("no-overdraft", "account '" + account + "' has " +
                                                          std::to_string(balance) + " " + currency +
                                                          ", needs " + std::to_string(amount));
  }
  return Status::OK();
}

Status RequireRoom(const AccountState& state, const std::string& account,
                   const std::string& currency, int64_t amount) {
  if (state.Balance(currency) > std::numeric_limits<int64_t>::max() - amount) {
    return Status::DomainRuleViolated("balance-overflow",
                                      "account '" + account + "' cannot hold more " + currency);
  }
  return Status::OK();
}

Result<std::vector<AccountEvent>> Open(const OpenAccount& c, const AccountState& s) {
  if (s.phase == Phase::kOpen) {
    return Status::DomainRuleViolated("account-already-open",
                                      "account '" + c.account + "' is already open");
  }
  if (s.phase == Phase::kClosed) {
    return Status::DomainRuleViolated("account-closed", "account '" + c.account + "' was closed");
  }
  return std::vector<AccountEvent>{AccountOpened{c.account, c.owner}};
}

Result<std::vector<AccountEvent>> Credit(const Deposit& c, const AccountState& s) {
  DUET_RETURN_IF_ERROR(RequireOpen(s, c.account));
  DUET_RETURN_IF_ERROR(RequireRoom(s, c.account, c.currency, c.amount));
  return std::vector<AccountEvent>{MoneyDeposited{c.account, c.currency, c.amount}};
}

Result<std::vector<AccountEvent>> Debit(const Withdraw& c, const AccountState& s) {
  DUET_RETURN_IF_ERROR(RequireOpen(s, c.account));
  DUET_RETURN_IF_ERROR(RequireFunds(s, c.account, c.currency, c.amount));
  return std::vector<AccountEvent>{MoneyWithdrawn{c.account, c.currency, c.amount}};
}

Result<std::vector<AccountEvent>> Close(const CloseAccount& c, const AccountState& s) {
  DUET_RETURN_IF_ERROR(RequireOpen(s, c.account));
  for (const auto& [currency, balance] : s.balances) {
    if (balance != 0) {
      return Status::DomainRuleViolated(
          "balance-not-zero",
          "account '" + c.account + "' holds " + std::to_string(balance) + " " + currency);
    }
  }
  return std::vector<AccountEvent>{AccountClosed{c.account}};
}

}  // namespace

int64_t AccountState::Balance(const std::string& currency) const {
  auto it = balances.find(currency);
  return it == balances.end() ? 0 : it->second;
}

Result<std::vector<AccountEvent>> DecideAccount(const AccountCommand& command,
                                                const AccountState& state) {
  return std::visit(
      [&state](const auto& c) -> Result<std::vector<AccountEvent>> {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, OpenAccount>) return Open(c, state);
        if constexpr (std::is_same_v<C, Deposit>) return Credit(c, state);
        if constexpr (std::is_same_v<C, Withdraw>) return Debit(c, state);
        if constexpr (std::is_same_v<C, CloseAccount>) return Close(c, state);
      },
      command);
}

Result<TransferDecision> DecideTransfer(const Transfer& c, const AccountState& from,
                                        const AccountState& to) {
  if (c.from == c.to) return Status::InvalidArgument("to", "must differ from 'from'");
  DUET_RETURN_IF_ERROR(RequireOpen(from, c.from));
  DUET_RETURN_IF_ERROR(RequireOpen(to, c.to));
  DUET_RETURN_IF_ERROR(RequireFunds(from, c.from, c.currency, c.amount));
  DUET_RETURN_IF_ERROR(RequireRoom(to, c.to, c.currency, c.amount));
  return TransferDecision{TransferDebited{c.transfer, c.from, c.to, c.currency, c.amount},
                          TransferCredited{c.transfer, c.to, c.from, c.currency, c.amount}};
}

AccountState EvolveAccount(AccountState s, const AccountEvent& event) {
  std::visit(
      [&s](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, AccountOpened>) {
          s.phase = Phase::kOpen;
          s.owner = e.owner;
        } else if constexpr (std::is_same_v<E, MoneyDeposited> ||
                             std::is_same_v<E, TransferCredited>) {
          s.balances[e.currency] = WrappingAdd(s.Balance(e.currency), e.amount);
        } else if constexpr (std::is_same_v<E, MoneyWithdrawn> ||
                             std::is_same_v<E, TransferDebited>) {
          s.balances[e.currency] = WrappingSub(s.Balance(e.currency), e.amount);
        } else if constexpr (std::is_same_v<E, AccountClosed>) {
          s.phase = Phase::kClosed;
        }
      },
      event);
  return s;
}

}  // namespace duet::examples::ledger
