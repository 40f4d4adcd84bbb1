// JsonText: the one JSON writer for text Duet gives to people and clients
// (HTTP answers, the CLI's output).
//
// Boost.JSON's serialize writes doubles in exponent form
// ("9.924513244171866E-1"), which is valid JSON but hard to read and
// surprises tools that compare numbers as text. JsonText writes the same
// document with every double in plain decimal notation, with the shortest
// digits that read back as the same double (std::to_chars), and always with
// a fraction so it reads back as a double, not an integer: 0.25, 2.0,
// 0.0000001, 1000000000000000000000.0, -0.0. Everything else (strings and
// their escapes, integers, booleans, null, member order) is written exactly
// as boost::json::serialize writes it.
//
// JSON has no NaN or infinity: a non-finite double is written as null
// (as JavaScript's JSON.stringify does) so the output always parses.
//
// Thread-safe (no shared state).
#ifndef DUET_UTIL_JSON_TEXT_H_
#define DUET_UTIL_JSON_TEXT_H_

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace duet {

// `value` as compact JSON text, doubles in plain decimal (see above).
std::string JsonText(const boost::json::value& value);
// The same for an object or array, without copying it into a value.
std::string JsonText(const boost::json::object& object);
std::string JsonText(const boost::json::array& array);

// A double as JsonText writes it: "0.25", "2.0", "null" for NaN and infinities.
std::string JsonNumberText(double value);

}  // namespace duet

#endif  // DUET_UTIL_JSON_TEXT_H_
