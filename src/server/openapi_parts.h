// The fixed parts of the OpenAPI document, as JSON text (openapi_paths.cc,
// openapi_components.cc, openapi_schemas.cc). Only openapi_document.cc uses
// them; edit the text there, then regenerate docs/openapi.json (see
// docs/http-api.md).
#ifndef DUET_SERVER_OPENAPI_PARTS_H_
#define DUET_SERVER_OPENAPI_PARTS_H_

#include <string_view>

namespace duet::server {

std::string_view OpenApiHead();               // openapi, info, servers, tags, security
std::string_view OpenApiGenericPaths();       // paths that are not a command or a query
std::string_view OpenApiGenericComponents();  // securitySchemes, parameters, responses
std::string_view OpenApiGenericSchemas();     // components.schemas of those paths

}  // namespace duet::server

#endif  // DUET_SERVER_OPENAPI_PARTS_H_
