// Checking and converting a query's raw JSON parameters against the ones its
// definition declares (include/duet/query_bus.h, ParamType).
//
// Thread-safe: pure functions.
#ifndef DUET_QUERY_PARAMS_H_
#define DUET_QUERY_PARAMS_H_

#include <boost/json.hpp>
#include <cstdint>
#include <vector>

#include "duet/query_bus.h"
#include "duet/result.h"

namespace duet::query {

// Page size bounds of kLimit.
inline constexpr int64_t kDefaultLimit = 50;
inline constexpr int64_t kMaxLimit = 1000;
// Upper bound on a cursor's length: cursors are short tokens the stores
// issue; anything much longer is not one, and is refused before it is decoded.
inline constexpr size_t kMaxCursorBytes = 2048;

// The validated parameters. Errors: InvalidArgument(parameter name, reason)
// for an unknown parameter, a missing required one, a wrong JSON type, a
// string that is empty, too long or not UTF-8, an integer outside int64, a
// bucket other than minute|hour|day, a limit outside 1..1000.
Result<QueryParams> ValidateParams(const std::vector<QueryParam>& declared,
                                   const boost::json::object& raw);

// An int64 from a JSON integer or a decimal string ("-12"); `name` names the
// parameter in errors.
Result<int64_t> ParseInteger(const boost::json::value& value, std::string_view name);

}  // namespace duet::query

#endif  // DUET_QUERY_PARAMS_H_
