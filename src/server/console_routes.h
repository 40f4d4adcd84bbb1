// The web console (docs/http-api.md, "Web console"): GET /ui redirects to
// /ui/, GET /ui/ is its index.html and GET /ui/<asset> its other files, on
// every role. The console is a client of the public HTTP API only; these
// routes serve its files and nothing else, open to everyone (the files hold
// no data; the API calls the pages make carry the user's token).
#ifndef DUET_SERVER_CONSOLE_ROUTES_H_
#define DUET_SERVER_CONSOLE_ROUTES_H_

#include "server/router.h"

namespace duet::server {

// The Content-Security-Policy every console file is served with: scripts,
// styles and requests from the server's own origin only, no inline script or
// style, never framed (clickjacking).
inline constexpr std::string_view kConsoleContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Adds the console's routes. Not part of the API, so /openapi.json does not
// list them.
void AddConsoleRoutes(Router* router);

}  // namespace duet::server

#endif  // DUET_SERVER_CONSOLE_ROUTES_H_
