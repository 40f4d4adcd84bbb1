// Part of the OpenAPI document every node serves whatever its domains: its head (info, servers,
// tags, security) and the routes that are not a command or a query. Data, not code: the text is
// parsed by GenerateOpenApi (openapi_document.cc), which adds the paths and schemas of the
// registered commands and queries. OpenAPI 3.1 (JSON Schema 2020-12: nullable is a "null" type,
// schema examples are lists).
#include "server/openapi_parts.h"

namespace duet::server {

// openapi, info, servers, tags and the default security.
std::string_view OpenApiHead() {
  return R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "Duet HTTP API",
    "version": "1",
    "description": "The command API, query API, event feed and admin routes of `duet serve` (v1). The human guide is docs/http-api.md; error codes are docs/errors.md. All bodies are UTF-8 JSON; errors are application/problem+json.\n\nWhich routes a node serves depends on its role: `all` serves every operation here; `command` serves commands, stream appends and reads, `/events`, `/events/live` and the operations routes; `query` serves queries, stream reads, `/events`, `/events/live` (from its follower), projections and the operations routes. A route a role does not serve is 404 (`not_found`, subject `route`), or 405 when the node serves the same path with another method (e.g. POST /streams/{stream} on a query node).\n\nEach operation's `x-duet-scope` is the token scope it needs when tokens are configured (`command`, `query` or `admin`); operations without it are open.\n\nRefusals before a route runs, possible on any request: 400 `malformed_request` (unparsable HTTP), 413 `payload_too_large` (body over `max_body_bytes`), 431 `headers_too_large` (head over `max_header_bytes`), 405 `method_not_allowed` (with `Allow`), 404 `not_found` (no such path), 503 `overloaded` on a connection beyond `max_connections` (the connection is then closed); 400 `missing_host` (an HTTP/1.1 request without `Host`); 421 `host_not_allowed` (a node listening on a loopback address was sent a `Host` that is not `localhost` or a loopback address: DNS rebinding); on POST, PUT, PATCH and DELETE, 403 `origin_not_allowed` (an `Origin` outside `cors_origins`) and 415 `unsupported_media_type` (a body that is not `application/json`). Every route also answers HEAD (as GET without the body) and OPTIONS (204 with `Allow`, and CORS preflights from `cors_origins`); answers over 1 KiB are gzip-compressed when `Accept-Encoding` allows it. A request not received completely within `request_timeout_ms` gets no answer: the connection is closed."
  },
  "servers": [{"url": "http://127.0.0.1:8080", "description": "`make run` (role all)"}],
  "tags": [
    {
      "name": "commands",
      "description": "Write side: one operation per command type the served domains register, with its own body schema."
    },
    {
      "name": "queries",
      "description": "Read side: one operation per named query, with its parameters and answer schema."
    },
    {"name": "streams", "description": "Raw event streams."},
    {"name": "events", "description": "The global log and its live feed."},
    {"name": "admin", "description": "Projections."},
    {"name": "operations", "description": "Health, readiness, metrics, this document."}
  ],
  "security": [{"bearerAuth": []}]
})json";
}

// Streams, the log, the live feed, projections, health, readiness, metrics and
// this document.
std::string_view OpenApiGenericPaths() {
  return R"json({
  "/streams/{stream}": {
    "parameters": [{"$ref": "#/components/parameters/Stream"}],
    "post": {
      "operationId": "appendToStream",
      "tags": ["streams"],
      "summary": "Append raw events to a stream",
      "description": "Appends the events atomically (all or none), bypassing the command bus. Scope: `command`.",
      "x-duet-scope": "command",
      "security": [{"bearerAuth": []}],
      "parameters": [{"$ref": "#/components/parameters/ExpectedVersion"}],
      "requestBody": {
        "required": true,
        "content": {
          "application/json": {
            "schema": {
              "type": "array",
              "minItems": 1,
              "maxItems": 10000,
              "items": {"$ref": "#/components/schemas/NewEvent"}
            },
            "example": [
              {
                "type": "MessageReceived",
                "data": {"text": "hello"},
                "metadata": {"source": "curl"}
              }
            ]
          }
        }
      },
      "responses": {
        "200": {
          "description": "Appended and durable.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AppendResult"}}}
        },
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "409": {"$ref": "#/components/responses/Conflict"},
        "413": {"$ref": "#/components/responses/PayloadTooLarge"},
        "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
        "421": {"$ref": "#/components/responses/MisdirectedToCommandNode"},
        "500": {"$ref": "#/components/responses/InternalError"},
        "503": {"$ref": "#/components/responses/Unavailable"},
        "507": {"$ref": "#/components/responses/InsufficientStorage"}
      }
    },
    "get": {
      "operationId": "readStream",
      "tags": ["streams"],
      "summary": "Read a stream's events",
      "description": "Scope: `query`.",
      "x-duet-scope": "query",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "from",
          "in": "query",
          "required": false,
          "description": "The first version to read (inclusive). Default: 0 forward, the last version backward.",
          "schema": {"type": "integer", "format": "int64", "minimum": 0}
        },
        {
          "name": "limit",
          "in": "query",
          "required": false,
          "description": "At most this many events.",
          "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
        },
        {
          "name": "direction",
          "in": "query",
          "required": false,
          "schema": {"type": "string", "enum": ["forward", "backward"], "default": "forward"}
        }
      ],
      "responses": {
        "200": {
          "description": "The events, in the direction asked.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StreamEvents"}}}
        },
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/events": {
    "get": {
      "operationId": "readAll",
      "tags": ["events"],
      "summary": "Read the log by global position, all of it or filtered",
      "description": "Scope: `query`. Page with `from = scanned_to + 1`. With `stream`, `category` or `types` only matching events are returned: the log is scanned in position order (no index serves a filter) and one read examines at most 10000 events, so a page may hold fewer than `limit` events, even none, before the head is reached; `scanned_to` says where the scan stopped.",
      "x-duet-scope": "query",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "from",
          "in": "query",
          "required": false,
          "description": "The first global position (inclusive).",
          "schema": {"type": "integer", "format": "int64", "minimum": 1, "default": 1}
        },
        {
          "name": "limit",
          "in": "query",
          "required": false,
          "description": "The most events to return.",
          "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
        },
        {"$ref": "#/components/parameters/FilterStream"},
        {"$ref": "#/components/parameters/FilterCategory"},
        {"$ref": "#/components/parameters/FilterTypes"}
      ],
      "responses": {
        "200": {
          "description": "Up to `limit` (matching) events from `from`, the head, and how far the log was scanned.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventsPage"}}}
        },
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/events/live": {
    "get": {
      "operationId": "followEvents",
      "tags": ["events"],
      "summary": "The event feed (Server-Sent Events)",
      "description": "Catch-up from `from` (or after `Last-Event-ID`), then live, on one long response: the same loop serves both (read after the last position sent; when nothing is left, wait for the head to move). This is the feed query nodes follow. Each event is sent as\n\n    id: <position>\n    event: event\n    data: <event JSON on one line>\n\nfollowed by a blank line. Positions are contiguous, so a client detects a gap. Right after the headers, and whenever nothing new happened for 1 s, the server sends `event: head` with `data: {\"head\":h}`. If reading the log fails, the server sends `event: error` with the error as a JSON string and ends the response. A bad `from` or `Last-Event-ID` is 400 before the stream starts.\n\nFiltered (`stream`, `category`, `types`): only matching events are sent, and the log is still scanned in position order. So that a client with a rare filter need not scan again what it has seen, the server sends a checkpoint whenever 512 events went by without a match, and when the log goes idle with events scanned since the last message:\n\n    id: <position>\n    event: checkpoint\n    data: {\"position\":<position>}\n\nEvery event up to that position that matches has been sent; its `id` makes an EventSource's `Last-Event-ID` resume after it. The unfiltered feed sends no checkpoints. A bad filter is 400 before the stream starts. Each feed has a thread of its own and holds at most one batch (512 events) in memory: a slow client slows only its own feed. Scope: `query`.",
      "x-duet-scope": "query",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "from",
          "in": "query",
          "required": false,
          "description": "The first global position to send (inclusive).",
          "schema": {"type": "integer", "format": "int64", "minimum": 1, "default": 1}
        },
        {"$ref": "#/components/parameters/LastEventId"},
        {"$ref": "#/components/parameters/FilterStream"},
        {"$ref": "#/components/parameters/FilterCategory"},
        {"$ref": "#/components/parameters/FilterTypes"}
      ],
      "responses": {
        "200": {
          "description": "An endless text/event-stream (it ends when the server stops).",
          "content": {
            "text/event-stream": {
              "schema": {"type": "string"},
              "example": "event: head\ndata: {\"head\":2}\n\nid: 1\nevent: event\ndata: {\"position\":1,\"stream\":\"account-alice\",\"version\":0,\"timestamp_us\":1767225600000000,\"id\":\"0b7e2c1a-5d3f-4a8e-b6c9-2f1d0e9a7b34\",\"type\":\"AccountOpened\",\"data\":{\"account\":\"alice\",\"owner\":\"Alice\"},\"metadata\":{\"command_type\":\"OpenAccount\",\"command_id\":\"7f3c2a9e-1b4d-4c8e-9f21-0a6b5d3e8c71\"}}\n\n"
            }
          }
        },
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}
      }
    }
  },
  "/projections": {
    "get": {
      "operationId": "listProjections",
      "tags": ["admin"],
      "summary": "Status of every projection",
      "description": "Scope: `admin`.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "responses": {
        "200": {
          "description": "One entry per projection.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/ProjectionList"},
              "example": {
                "projections": [
                  {
                    "name": "ledger-accounts",
                    "version": 1,
                    "store": "document",
                    "state": "live",
                    "checkpoint": 42,
                    "head": 42,
                    "lag_events": 0,
                    "lag_seconds": 0,
                    "events_per_s": 0,
                    "parked": 0
                  }
                ]
              }
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/projections/{name}/rebuild": {
    "post": {
      "operationId": "rebuildProjection",
      "tags": ["admin"],
      "summary": "Rebuild a projection's read model",
      "description": "Builds a fresh read model from position 1 beside the serving one and swaps it in when it has caught up; queries keep being answered from the old one meanwhile. Answers 202 at once with the projection's status (its `rebuild` shows progress; follow it in GET /projections). A projection already rebuilding: 409 `rebuild_running`; of concurrent requests exactly one starts the rebuild (202) and the others get that 409. A rebuild that failed or was stopped is started over. Scope: `admin`.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {"type": "string"},
          "example": "ledger-accounts"
        }
      ],
      "responses": {
        "202": {
          "description": "The rebuild started: the projection's status.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/ProjectionStatus"},
              "example": {
                "name": "ledger-accounts",
                "version": 1,
                "store": "document",
                "state": "live",
                "checkpoint": 42,
                "head": 42,
                "lag_events": 0,
                "lag_seconds": 0,
                "events_per_s": 0,
                "parked": 0,
                "rebuild": {"position": 0, "target": 42, "events_per_s": 0, "eta_seconds": 0}
              }
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "409": {
          "description": "A rebuild of this projection is already running (`rebuild_running`): this request started nothing. Retry once GET /projections shows it has ended.",
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        },
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/projections/{name}/verify": {
    "post": {
      "operationId": "verifyProjection",
      "tags": ["admin"],
      "summary": "Check that a projection replays to the same read model",
      "description": "The determinism check: replays the history up to the serving read model's checkpoint into a scratch store and compares the two by digest, naming the keys that differ. The projection's live runner pauses while it runs (queries keep being answered), and the answer comes when the replay ends, which takes as long as a rebuild. Scope: `admin`.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {"type": "string"},
          "example": "ledger-accounts"
        }
      ],
      "responses": {
        "200": {
          "description": "The comparison; `matches` false means the projection is not deterministic (or its read model was changed outside it).",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/VerifyReport"},
              "example": {
                "position": 42,
                "matches": true,
                "live_digest": "9f2c4e0a61b7d3e8",
                "rebuilt_digest": "9f2c4e0a61b7d3e8",
                "entries": 12,
                "differing_keys": []
              }
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "409": {
          "description": "A new version of this projection is being rebuilt and does not serve yet (`conflict`); retry once GET /projections shows it live.",
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        },
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/projections/{name}/parked": {
    "get": {
      "operationId": "listParkedEvents",
      "tags": ["admin"],
      "summary": "The events a projection parked",
      "description": "The events the projection could not apply and set aside under the park failure policy, oldest first: the oldest 100, with `total` the count of all. Retry them with POST /projections/{name}/parked/retry. Scope: `admin`.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {"type": "string"},
          "example": "ledger-accounts"
        }
      ],
      "responses": {
        "200": {
          "description": "The parked events.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/ParkedList"},
              "example": {
                "parked": [{"position": 4, "stream": "order-7", "type": "OrderShipped", "error": "domain_rule_violated: unknown order"}],
                "total": 1
              }
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/projections/{name}/parked/retry": {
    "post": {
      "operationId": "retryParkedEvents",
      "tags": ["admin"],
      "summary": "Re-apply a projection's parked events",
      "description": "Applies every parked event again, oldest first; those that apply now leave the parked list. The live runner pauses meanwhile. Answers how many remain parked. Scope: `admin`.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "parameters": [
        {
          "name": "name",
          "in": "path",
          "required": true,
          "schema": {"type": "string"},
          "example": "ledger-accounts"
        }
      ],
      "responses": {
        "200": {
          "description": "The retry ran.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/ParkedRetry"},
              "example": {"remaining": 0}
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"},
        "409": {
          "description": "A new version of this projection is being rebuilt and does not serve yet (`conflict`); retry once GET /projections shows it live.",
          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        },
        "500": {"$ref": "#/components/responses/InternalError"}
      }
    }
  },
  "/health": {
    "get": {
      "operationId": "health",
      "tags": ["operations"],
      "summary": "Liveness and storage health",
      "description": "Open (no token). 503 once the store refuses appends after a storage failure (reads go on), and while a PostgreSQL store cannot be reached (`status: unavailable`; 200 again once it can, without a restart).",
      "security": [],
      "responses": {
        "200": {
          "description": "Healthy.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/Health"},
              "example": {"role": "all", "status": "ok"}
            }
          }
        },
        "503": {
          "description": "Storage failure: appends are refused; reads go on. Or PostgreSQL unreachable: appends are refused until it is back.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/Health"},
              "example": {
                "role": "all",
                "status": "io_error",
                "detail": "io_error: fdatasync failed: Input/output error"
              }
            }
          }
        },
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}
      }
    }
  },
  "/ready": {
    "get": {
      "operationId": "ready",
      "tags": ["operations"],
      "summary": "Readiness",
      "description": "Open (no token). 200 when the node serves: every projection is live (or rebuilding beside a serving read model) and, on a query node, the follower is connected to the command node. Load balancers route on this.",
      "security": [],
      "responses": {
        "200": {
          "description": "Serving.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/Ready"},
              "example": {"role": "query", "status": "ok"}
            }
          }
        },
        "503": {
          "description": "Not serving yet.",
          "content": {
            "application/json": {
              "schema": {"$ref": "#/components/schemas/Ready"},
              "example": {
                "role": "query",
                "status": "overloaded",
                "detail": "overloaded: not following http://127.0.0.1:8080 yet: ..."
              }
            }
          }
        },
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}
      }
    }
  },
  "/metrics": {
    "get": {
      "operationId": "metrics",
      "tags": ["operations"],
      "summary": "Prometheus metrics",
      "description": "Text exposition format 0.0.4. Scope: `admin`. Names in docs/http-api.md.",
      "x-duet-scope": "admin",
      "security": [{"bearerAuth": []}],
      "responses": {
        "200": {
          "description": "Metrics (names in docs/http-api.md).",
          "content": {
            "text/plain; version=0.0.4; charset=utf-8": {
              "schema": {"type": "string"},
              "example": "# HELP duet_http_open_connections open HTTP connections\n# TYPE duet_http_open_connections gauge\nduet_http_open_connections 3\n"
            }
          }
        },
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}
      }
    }
  },
  "/openapi.json": {
    "get": {
      "operationId": "openapi",
      "tags": ["operations"],
      "summary": "This document",
      "description": "The OpenAPI 3.1 description of what this node serves, generated from the commands and queries its domains register. Open: no token needed.",
      "security": [],
      "responses": {
        "200": {
          "description": "The OpenAPI 3.1 document (JSON).",
          "content": {"application/json": {"schema": {"type": "object"}}}
        },
        "405": {"$ref": "#/components/responses/MethodNotAllowed"}
      }
    }
  }
})json";
}

}  // namespace duet::server
