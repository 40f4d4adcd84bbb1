// A history of ledger commands and raw appends over HTTP, for the
// linearizability checker (tests/support/linearizability.h): each answer
// folded into its operation, the log read back over GET /events, and a
// stream's state replayed from its events. Shared by the tests that check a
// single node (server_linearizability_test) and several command nodes on
// PostgreSQL (server_postgres_test).
#ifndef DUET_TESTS_INTEGRATION_LEDGER_HISTORY_H_
#define DUET_TESTS_INTEGRATION_LEDGER_HISTORY_H_

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/linearizability.h"

namespace duet::testing {

// A JSON string's text, or any other value serialized.
std::string JsonText(const boost::json::value& value);

// The answer of one HTTP call (a command or an append), folded into `op`:
// 200 acknowledged with its streams' versions and position, 409/422
// refused, anything else unknown (no answer or a server error).
void RecordReply(const Reply& reply, linearizability::Operation& op);

// Sends ledger command `type` with `id` as its Idempotency-Key and returns
// the operation: invoked, answered (RecordReply), and appending
// `account_events` plus its $command-<id> record.
linearizability::Operation SendLedgerCommand(Api& api, const std::string& id, std::string_view type,
                                             const boost::json::object& body,
                                             size_t account_events);

// The whole log over GET /events, with each event's command id from its
// metadata.
std::vector<linearizability::LoggedEvent> ReadLog(Api& api);

// Account `account`'s USD balance as the balance query answers it at
// `min_position` ("USD=<n>", the form ReplayLedgerStream gives); a failed
// query is a test failure and answers "".
std::string QueriedLedgerBalance(Api& api, const std::string& account, uint64_t min_position);

// Account name (the stream without "account-") -> (position, USD balance
// after the event at that position), for every account event of `log`.
// Undecodable events are skipped (ReplayLedgerStream reports them).
using LedgerBalanceHistory = std::map<std::string, std::vector<std::pair<uint64_t, int64_t>>>;
LedgerBalanceHistory LedgerBalances(const std::vector<linearizability::LoggedEvent>& log);

// A ledger account's USD balance ("USD=<n>") or a tally stream's count
// ("count=<n>"), from the stream's events.
std::string ReplayLedgerStream(const std::vector<linearizability::LoggedEvent>& events);

}  // namespace duet::testing

#endif  // DUET_TESTS_INTEGRATION_LEDGER_HISTORY_H_
