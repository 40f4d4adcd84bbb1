// Part of the OpenAPI document every node serves whatever its domains: the shared parameters,
// responses and security scheme. Data, not code: the text is parsed by GenerateOpenApi
// (openapi_document.cc), which adds the paths and schemas of the registered commands and queries.
// OpenAPI 3.1 (JSON Schema 2020-12: nullable is a "null" type, schema
// examples are lists).
#include "server/openapi_parts.h"

namespace duet::server {

// components: securitySchemes, parameters and responses.
std::string_view OpenApiGenericComponents() {
  return R"json({
  "securitySchemes": {
    "bearerAuth": {
      "type": "http",
      "scheme": "bearer",
      "description": "`Authorization: Bearer <token>`. Enforced only when the config file lists tokens (`[[auth.tokens]]`, each with scopes); otherwise the API is open. Scopes: `command` (POST /commands, POST /streams), `query` (GET /queries, /streams, /events, /events/live), `admin` (/projections, /metrics). /health, /ready and /openapi.json are always open. No token: 401 with `WWW-Authenticate: Bearer`; a token without the route's scope: 403. Each operation's scope is also given as `x-duet-scope`."
    }
  },
  "parameters": {
    "IfNoneMatch": {
      "name": "If-None-Match",
      "in": "header",
      "required": false,
      "description": "The `ETag` of an answer the client holds: when the answer is still the same it is 304 Not Modified without a body.",
      "schema": {"type": "string"},
      "example": "W/\"ledger-accounts-2-9f86d081884c7d65\""
    },
    "IdempotencyKey": {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "description": "The command id (a UUID). A command sent again with the same key is not decided again: the answer is the recorded result of the first dispatch, with `duplicate: true`. Use it to retry safely after a timeout or a lost connection. A key stands for one request: reused for another command type or another body (compared as canonical JSON: key order and whitespace do not matter) it is 422 `idempotency_key_reused` and nothing is appended.",
      "schema": {"type": "string", "format": "uuid"},
      "example": "7f3c2a9e-1b4d-4c8e-9f21-0a6b5d3e8c71"
    },
    "ExpectedVersion": {
      "name": "Expected-Version",
      "in": "header",
      "required": false,
      "description": "Optimistic concurrency for the append: `any` (default), `no_stream` (the stream must not exist), `stream_exists`, or the exact current version `n` (0-based version of the stream's last event). A mismatch is 409 with `actual_version`.",
      "schema": {"type": "string", "pattern": "^(any|no_stream|stream_exists|[0-9]+)$", "default": "any"},
      "example": "no_stream"
    },
    "LastEventId": {
      "name": "Last-Event-ID",
      "in": "header",
      "required": false,
      "description": "Resume after this position (sent by EventSource clients on reconnect). Takes precedence over `from`: the feed starts at `Last-Event-ID + 1`. Not a non-negative integer: 400 with subject `Last-Event-ID`.",
      "schema": {"type": "integer", "format": "int64", "minimum": 0}
    },
    "FilterStream": {
      "name": "stream",
      "in": "query",
      "required": false,
      "description": "Only the events of this stream (exact name). Invalid name: 400 with subject `stream`.",
      "schema": {"type": "string", "minLength": 1, "maxLength": 255},
      "example": "account-alice"
    },
    "FilterCategory": {
      "name": "category",
      "in": "query",
      "required": false,
      "description": "Only the events of streams in this category: the part of a stream name before its first `-` (`account` selects `account-alice` and `account-bob-2`, not `accounts-x` nor a stream named `account`). A value holding `-` or not a valid name: 400 with subject `category`.",
      "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^-]+$"},
      "example": "account"
    },
    "FilterTypes": {
      "name": "types",
      "in": "query",
      "required": false,
      "description": "Only events of these types: a comma-separated list (an event of any one of them matches), at most 100. An empty or invalid type: 400 with subject `types`. The filters combine with AND.",
      "schema": {"type": "string", "minLength": 1},
      "example": "Deposited,Withdrawn"
    },
    "MinPosition": {
      "name": "min_position",
      "in": "query",
      "required": false,
      "description": "Read-your-writes: answer only once the query's read model has applied this global position (the `position` a command returned). Waits up to `timeout_ms`; without `timeout_ms`, up to 5000 ms (or `max_query_wait_ms` when smaller). Not reached in time: 503 `timeout` (\"not yet\") with the read model's `position` and `Retry-After: 1`.",
      "schema": {"type": "integer", "format": "int64", "minimum": 0},
      "example": 42
    },
    "TimeoutMs": {
      "name": "timeout_ms",
      "in": "query",
      "required": false,
      "description": "How long to wait for `min_position`, in milliseconds. Longer waits are cut to the `max_query_wait_ms` setting (default 30000; the query bus never waits more than 30000). Ignored without `min_position`.",
      "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 4294967295},
      "example": 2000
    },
    "Stream": {
      "name": "stream",
      "in": "path",
      "required": true,
      "description": "A stream name: 1..255 bytes of `[A-Za-z0-9]` and `-_.:@$` (`$` only first, reserved for system streams). An invalid name is 400 with subject `stream`.",
      "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[A-Za-z0-9_.:@$-][A-Za-z0-9_.:@-]*$"
      },
      "example": "account-alice"
    }
  },
  "responses": {
    "BadRequest": {
      "description": "Bad input: malformed JSON, a missing, unknown or mistyped field or parameter, a parameter out of range, an invalid stream name (`invalid_argument`, `subject` names the field); or an unparsable HTTP request (`malformed_request`). Nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/invalid_argument",
            "title": "Bad Request",
            "status": 400,
            "detail": "must be greater than 0",
            "code": "invalid_argument",
            "subject": "amount"
          }
        }
      }
    },
    "Unauthorized": {
      "description": "No bearer token, a malformed Authorization header, or an unknown token (only when tokens are configured).",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/unauthorized",
            "title": "Unauthorized",
            "status": 401,
            "detail": "missing or malformed bearer token",
            "code": "unauthorized",
            "subject": "authorization"
          }
        }
      },
      "headers": {
        "WWW-Authenticate": {"description": "Always `Bearer`.", "schema": {"type": "string", "examples": ["Bearer"]}}
      }
    },
    "Forbidden": {
      "description": "`forbidden`: the token is valid but lacks the scope of the route. `origin_not_allowed`: a state-changing request (POST, PUT, PATCH, DELETE) carries an `Origin` that is neither listed in `cors_origins` nor the server's own; nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/forbidden",
            "title": "Forbidden",
            "status": 403,
            "detail": "token 'reporting' lacks scope 'command'",
            "code": "forbidden",
            "subject": "scope"
          }
        }
      }
    },
    "NotFound": {
      "description": "What the path names does not exist (command type, query, stream, projection), or the node does not serve the path (subject `route`).",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/not_found",
            "title": "Not Found",
            "status": 404,
            "detail": "unknown command type 'Depositt'",
            "code": "not_found",
            "subject": "command type"
          }
        }
      }
    },
    "MethodNotAllowed": {
      "description": "The route exists but not with this method; `Allow` lists the methods.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/method_not_allowed",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": "GET is not allowed here",
            "code": "method_not_allowed"
          }
        }
      },
      "headers": {
        "Allow": {
          "description": "The methods the route accepts.",
          "schema": {"type": "string", "examples": ["POST"]}
        }
      }
    },
    "Conflict": {
      "description": "Optimistic concurrency conflict: the stream is not at the expected version. `actual_version` is the stream's version (null: the stream does not exist). Nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/wrong_expected_version",
            "title": "Conflict",
            "status": 409,
            "detail": "expected version 3, actual 5",
            "code": "wrong_expected_version",
            "subject": "account-alice",
            "actual_version": 5
          }
        }
      }
    },
    "PayloadTooLarge": {
      "description": "The body is larger than `max_body_bytes` (default 1 MiB); it is not read, and nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/payload_too_large",
            "title": "Content Too Large",
            "status": 413,
            "detail": "the body is larger than max_body_bytes (1048576)",
            "code": "payload_too_large"
          }
        }
      }
    },
    "Unprocessable": {
      "description": "A domain rule refused the command (`domain_rule_violated`; `subject` is the rule's name), or the `Idempotency-Key` was used before for another command type or body (`idempotency_key_reused`; `subject` is `command_id`). Nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/domain_rule_violated",
            "title": "Unprocessable Content",
            "status": 422,
            "detail": "account 'alice' has 100 USD, needs 500",
            "code": "domain_rule_violated",
            "subject": "no-overdraft"
          }
        }
      }
    },
    "HeadersTooLarge": {
      "description": "The request headers are larger than `max_header_bytes` (default 8 KiB).",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/headers_too_large",
            "title": "Request Header Fields Too Large",
            "status": 431,
            "detail": "the headers are larger than max_header_bytes",
            "code": "headers_too_large"
          }
        }
      }
    },
    "Unavailable": {
      "description": "`overloaded`: the connection is beyond `max_connections` (it is then closed); `busy`: the data folder is locked by another process; `unavailable`: the PostgreSQL store cannot be reached (nothing was written; or, when the connection broke during COMMIT, the outcome is unknown: retry with the same `Idempotency-Key`, or the same event ids, to learn it); `timeout` (\"not yet\"): a query's read model did not reach `min_position` within the wait, and `position` is where it is. Every 503 problem carries `Retry-After: 1`.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/timeout",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "not yet: the read model is at position 41",
            "code": "timeout",
            "subject": "ledger-accounts",
            "position": 41
          }
        }
      },
      "headers": {
        "Retry-After": {
          "description": "Always `1`: seconds to wait before retrying.",
          "schema": {"type": "integer", "examples": [1]}
        }
      }
    },
    "InsufficientStorage": {
      "description": "No space left on the device; nothing was acknowledged.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/storage_full",
            "title": "Insufficient Storage",
            "status": 507,
            "detail": "no space left on device",
            "code": "storage_full"
          }
        }
      }
    },
    "InternalError": {
      "description": "`io_error` (after a failed write or fsync every further append is refused), `corruption`, or `failed_precondition` (e.g. the store is closing).",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/io_error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "fdatasync failed: Input/output error",
            "code": "io_error"
          }
        }
      }
    },
    "UnsupportedMediaType": {
      "description": "`unsupported_media_type`: a state-changing request has a body whose `Content-Type` is not `application/json` (parameters such as `charset` allowed) or `application/*+json`. Nothing was written.",
      "content": {
        "application/problem+json": {
          "schema": {"$ref": "#/components/schemas/Problem"},
          "example": {
            "type": "https://duet.dev/problems/unsupported_media_type",
            "title": "Unsupported Media Type",
            "status": 415,
            "detail": "a request body must be Content-Type: application/json, not text/plain",
            "code": "unsupported_media_type"
          }
        }
      }
    },
    "NotModified": {
      "description": "The request's `If-None-Match` names the answer's current `ETag`: the answer has not changed, and has no body.",
      "headers": {
        "ETag": {
          "description": "The answer's validator, as on the 200.",
          "schema": {"type": "string"}
        }
      }
    },
    "MisdirectedToCommandNode": {
      "description": "On a query node: writes go to the command node (`wrong_role`, the detail names it).",
      "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    }
  }
})json";
}

}  // namespace duet::server
