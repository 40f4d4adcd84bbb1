// The OpenAPI 3.1 document of what a node serves, generated from what its
// domains register: one path per command type (POST /commands/<Name>, the
// command's declared contract as its body schema and its example) and one per
// query (GET /queries/<name>, its parameters and its answer's schema), plus
// the routes every node serves in its role (streams, the log, the live feed,
// projections, health, readiness, metrics, this document).
//
// The router serves /commands/{type} and /queries/{name} as templates; the
// document names each concrete path the templates answer, so a client (or a
// validator such as ajv) sees exactly one body schema per command.
//
// Deterministic: commands and queries are sorted by name, objects are written
// in a fixed order; the same registrations give the same text (docs/openapi.json
// is this document for the example domains, checked by a test).
//
// Thread-safety: GenerateOpenApi only reads the buses (Commands(),
// definitions()), which are immutable once registration is over.
#ifndef DUET_SERVER_OPENAPI_DOCUMENT_H_
#define DUET_SERVER_OPENAPI_DOCUMENT_H_

#include <boost/json.hpp>
#include <string>

#include "duet/command_bus.h"
#include "duet/query_bus.h"

namespace duet::server {

// What the document describes: a node's role and what it runs. The pointers
// are borrowed for the call only.
struct OpenApiInputs {
  std::string role = "all";              // "all", "command" or "query", for the description
  const CommandBus* commands = nullptr;  // null: no command paths, no POST /streams
  const QueryBus* queries = nullptr;     // null: no query paths
  bool has_projections = false;          // /projections and its rebuild route
};

// The document as a JSON object (for tests), and as the text served at
// /openapi.json (pretty-printed, ending in a newline).
boost::json::object GenerateOpenApiObject(const OpenApiInputs& inputs);
std::string GenerateOpenApi(const OpenApiInputs& inputs);

// Pretty-prints JSON with two-space indents, members in their stored order.
std::string PrettyJson(const boost::json::value& value);

}  // namespace duet::server

#endif  // DUET_SERVER_OPENAPI_DOCUMENT_H_
