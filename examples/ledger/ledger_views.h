// The ledger's read side: projections that build its read models from the
// account events, and the queries that answer from them. Written on Duet's
// public API only, as a user would.
//
// Read models (projection names) and their queries:
//   ledger-accounts  (document)  balance {account}; accounts {owner?, cursor?, limit?}
//   ledger-statement (document)  statement {account, cursor?, limit?}
//   ledger-search    (search)    search-accounts {q, status?, limit?}
//   ledger-volume    (analytics) volume {currency, bucket, kind?}
// The answers' JSON shapes are in ledger_views.cc, next to the code that
// builds them.
#ifndef DUET_EXAMPLES_LEDGER_LEDGER_VIEWS_H_
#define DUET_EXAMPLES_LEDGER_LEDGER_VIEWS_H_

#include <duet/projection.h>
#include <duet/query_bus.h>
#include <duet/status.h>

#include <memory>
#include <vector>

namespace duet::examples::ledger {

inline constexpr char kAccountsView[] = "ledger-accounts";
inline constexpr char kStatementView[] = "ledger-statement";
inline constexpr char kSearchView[] = "ledger-search";
inline constexpr char kVolumeView[] = "ledger-volume";

// The four projections above, for ProjectionEngine::Add.
std::vector<std::unique_ptr<Projection>> LedgerProjections();

// Registers balance, accounts, statement, search-accounts and volume.
Status RegisterLedgerQueries(QueryBus& bus);

}  // namespace duet::examples::ledger

#endif  // DUET_EXAMPLES_LEDGER_LEDGER_VIEWS_H_
