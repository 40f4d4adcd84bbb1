// The wallet domain as it is now, a test domain for upcasting: its first
// version (tests/upcast/wallet_v1_generator.cc, which wrote the fixture
// tests/fixtures/wallet-v1/) kept amounts as decimal strings of euros; this
// one keeps integer minor units with a currency, and its upcasters read the
// old events:
//   MoneyDeposited v1 {wallet, amount: "12.50"}
//       -> MoneyDeposited v2 {wallet, amount_minor: 1250, currency: "EUR"}  (reshape)
//   DepositWithFee v1 {wallet, amount, fee}
//       -> MoneyDeposited v2 + FeeCharged v1                               (split)
//   FundsWithdrawn v1 {wallet, amount}
//       -> MoneyWithdrawn v1 {wallet, amount_minor, currency}              (rename)
//   WalletViewed v1 {wallet} -> nothing                                    (drop)
// Rules (DomainRuleViolated subjects): wallet-already-open, wallet-not-found,
// no-overdraft. Read model "wallets": {wallet, owner, balances: {currency:
// minor units}, fees_minor, deposits}; query "wallet" (param wallet).
#ifndef DUET_TESTS_UPCAST_WALLET_H_
#define DUET_TESTS_UPCAST_WALLET_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "duet/app.h"
#include "duet/decider.h"
#include "duet/upcast.h"

namespace duet::testing::wallet {

struct OpenWallet {
  std::string wallet, owner;
};
struct Deposit {
  std::string wallet;
  int64_t amount_minor = 0;
  std::string currency;
};
struct Withdraw {
  std::string wallet;
  int64_t amount_minor = 0;
  std::string currency;
};
using WalletCommand = std::variant<OpenWallet, Deposit, Withdraw>;

struct WalletOpened {
  std::string wallet, owner;
  friend bool operator==(const WalletOpened&, const WalletOpened&) = default;
};
struct MoneyDeposited {  // schema version 2
  std::string wallet;
  int64_t amount_minor = 0;
  std::string currency;
  friend bool operator==(const MoneyDeposited&, const MoneyDeposited&) = default;
};
struct MoneyWithdrawn {
  std::string wallet;
  int64_t amount_minor = 0;
  std::string currency;
  friend bool operator==(const MoneyWithdrawn&, const MoneyWithdrawn&) = default;
};
struct FeeCharged {
  std::string wallet;
  int64_t amount_minor = 0;
  std::string currency;
  friend bool operator==(const FeeCharged&, const FeeCharged&) = default;
};
using WalletEvent = std::variant<WalletOpened, MoneyDeposited, MoneyWithdrawn, FeeCharged>;

struct WalletState {
  bool open = false;
  std::string owner;
  std::map<std::string, int64_t> balances;  // currency -> minor units
  friend bool operator==(const WalletState&, const WalletState&) = default;
};

using WalletDecider = Decider<WalletCommand, WalletState, WalletEvent>;

// Category "wallet", snapshots of schema 1.
const WalletDecider& Wallets();
const EventCodec<WalletEvent>& WalletCodec();
// The four upcasters above.
std::vector<Upcaster> WalletUpcasters();

inline constexpr char kWalletsView[] = "wallets";

// Commands OpenWallet, Deposit, Withdraw; the "wallets" projection; query
// "wallet"; the upcasters.
duet::Domain Domain();

}  // namespace duet::testing::wallet

#endif  // DUET_TESTS_UPCAST_WALLET_H_
