// The soak's end checks, run once the load has stopped and every node runs:
// the log holds every acknowledged command exactly once and nothing of a
// refused one; the query nodes' read models caught up, equal one another and
// a fresh rebuild, and agree with what the acknowledged commands imply.
//
// Each check appends a readable message per problem to `failures`.
#ifndef DUET_TESTS_SOAK_SOAK_CHECK_H_
#define DUET_TESTS_SOAK_SOAK_CHECK_H_

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "duet/result.h"
#include "tests/soak/soak_load.h"

namespace duet::soak {

using Failures = std::vector<std::string>;

// The command node's head (GET /events).
Result<uint64_t> ReadHead(uint16_t command_port);

// Waits up to `patience` until every projection of the node is live with a
// checkpoint at or after `head`; a failed projection or a parked event is a
// failure at once.
Status WaitForCatchUp(uint16_t port, uint64_t head, std::chrono::seconds patience);

// Scans the whole log (positions 1..head, contiguous): each acknowledged key
// has exactly one $CommandHandled record, at its acknowledged position, and
// every command event carries an acknowledged key; no refused key appears.
// Returns the number of events read.
uint64_t CheckLog(uint16_t command_port, uint64_t head, const LoadModel& model, Failures& failures);

// The complete answers of one query node at `head`: query -> data.
using Answers = std::map<std::string, boost::json::value>;
Result<Answers> CollectAnswers(uint16_t port, uint64_t head, const LoadModel& model);

// Reports every query whose answers differ (both answers, cut short).
void CompareAnswers(const std::string& name_a, const Answers& a, const std::string& name_b,
                    const Answers& b, Failures& failures);

// Balances, owners, order statuses and totals, and revenue against the model.
void CheckAgainstModel(const Answers& answers, const LoadModel& model, Failures& failures);

}  // namespace duet::soak

#endif  // DUET_TESTS_SOAK_SOAK_CHECK_H_
