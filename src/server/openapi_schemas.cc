// Part of the OpenAPI document every node serves whatever its domains: the schemas of problems,
// command results, events and projections. Data, not code: the text is parsed by GenerateOpenApi
// (openapi_document.cc), which adds the paths and schemas of the registered commands and queries.
// OpenAPI 3.1 (JSON Schema 2020-12: nullable is a "null" type, schema
// examples are lists).
#include "server/openapi_parts.h"

namespace duet::server {

// components.schemas of the generic routes and answers.
std::string_view OpenApiGenericSchemas() {
  return R"json({
  "Problem": {
    "type": "object",
    "description": "RFC 9457 problem details, extended with Duet's status code (`code`, the `StatusCodeName` of docs/errors.md) and the thing the error is about (`subject`). Clients branch on `code` (and `subject`), never on `detail`.",
    "required": ["type", "title", "status", "code"],
    "properties": {
      "type": {
        "type": "string",
        "format": "uri",
        "examples": ["https://duet.dev/problems/invalid_argument"]
      },
      "title": {
        "type": "string",
        "description": "The HTTP reason phrase of `status`.",
        "examples": ["Bad Request"]
      },
      "status": {"type": "integer", "examples": [400]},
      "detail": {"type": "string", "description": "A human-readable message; never parse it."},
      "code": {
        "type": "string",
        "enum": [
          "invalid_argument",
          "not_found",
          "wrong_expected_version",
          "conflict",
          "rebuild_running",
          "domain_rule_violated",
          "idempotency_key_reused",
          "unauthorized",
          "forbidden",
          "overloaded",
          "timeout",
          "busy",
          "unavailable",
          "corruption",
          "io_error",
          "storage_full",
          "failed_precondition",
          "upcast_failed",
          "payload_too_large",
          "headers_too_large",
          "method_not_allowed",
          "malformed_request",
          "missing_host",
          "host_not_allowed",
          "origin_not_allowed",
          "unsupported_media_type"
        ],
        "description": "The Duet status code (`StatusCodeName`, docs/errors.md); the HTTP-level refusals use `payload_too_large` (413), `headers_too_large` (431), `method_not_allowed` (405), `malformed_request` (400), `missing_host` (400), `host_not_allowed` (421), `origin_not_allowed` (403) and `unsupported_media_type` (415)."
      },
      "subject": {
        "type": "string",
        "description": "The field, parameter, rule, stream or read model the error is about, when there is one (e.g. `amount`, `items[1].qty`, `no-overdraft`, `account-alice`)."
      },
      "actual_version": {
        "type": ["integer", "null"],
        "format": "int64",
        "description": "409 only: the stream's current version; null when the stream does not exist."
      },
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "503 \"not yet\" only: the position the read model had reached."
      }
    }
  },
  "StreamRevision": {
    "type": "object",
    "required": ["stream", "version"],
    "properties": {"stream": {"type": "string"}, "version": {"type": ["integer", "null"], "format": "int64"}}
  },
  "CommandAccepted": {
    "type": "object",
    "description": "The command was decided and its events are durable (acknowledged after the group commit's fsync, per the durability setting).",
    "required": ["stream", "version", "position", "streams", "duplicate"],
    "properties": {
      "stream": {
        "type": "string",
        "description": "The primary stream (the aggregate the command is about)."
      },
      "version": {
        "type": ["integer", "null"],
        "format": "int64",
        "description": "The primary stream's version after the command (null: the command recorded no event)."
      },
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "The global position of the commit's last event: pass it as `min_position` to read your write."
      },
      "streams": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/StreamRevision"},
        "description": "Every stream appended to (two for a ledger Transfer)."
      },
      "duplicate": {
        "type": "boolean",
        "description": "True when this is the recorded result of an earlier dispatch with the same Idempotency-Key."
      }
    },
    "examples": [
      {
        "stream": "account-alice",
        "version": 1,
        "position": 42,
        "streams": [{"stream": "account-alice", "version": 1}],
        "duplicate": false
      }
    ]
  },
  "QueryAnswer": {
    "type": "object",
    "required": ["data", "position", "read_model"],
    "properties": {
      "data": {"description": "The query's answer; its shape is the query's (see the examples)."},
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "The checkpoint of the read model that answered: every event up to it is reflected."
      },
      "read_model": {"type": "string", "description": "The projection whose read model answered."}
    }
  },
  "Event": {
    "type": "object",
    "description": "A recorded event, as `duet read` prints it.",
    "required": ["position", "stream", "version", "timestamp_us", "id", "type", "data", "metadata"],
    "properties": {
      "position": {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "description": "Global position, 1-based and contiguous."
      },
      "stream": {"type": "string"},
      "version": {
        "type": "integer",
        "format": "int64",
        "minimum": 0,
        "description": "0-based version within the stream."
      },
      "timestamp_us": {
        "type": "integer",
        "format": "int64",
        "description": "Microseconds since the Unix epoch, when it was appended."
      },
      "id": {"type": "string", "format": "uuid"},
      "type": {"type": "string"},
      "data": {
        "description": "The payload: embedded JSON when it parses as JSON, else a string; null when empty."
      },
      "metadata": {
        "description": "Embedded JSON when it parses as JSON, else a string; null when empty. Commands record `command_type`, `command_id`, `correlation_id` and `causation_id`."
      }
    },
    "examples": [
      {
        "position": 1,
        "stream": "account-alice",
        "version": 0,
        "timestamp_us": 1767225600000000,
        "id": "0b7e2c1a-5d3f-4a8e-b6c9-2f1d0e9a7b34",
        "type": "AccountOpened",
        "data": {"account": "alice", "owner": "Alice"},
        "metadata": {
          "command_type": "OpenAccount",
          "command_id": "7f3c2a9e-1b4d-4c8e-9f21-0a6b5d3e8c71",
          "correlation_id": "7f3c2a9e-1b4d-4c8e-9f21-0a6b5d3e8c71",
          "causation_id": "7f3c2a9e-1b4d-4c8e-9f21-0a6b5d3e8c71"
        }
      }
    ]
  },
  "EventsPage": {
    "type": "object",
    "required": ["events", "head", "scanned_to"],
    "properties": {
      "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
      "head": {
        "type": "integer",
        "format": "int64",
        "description": "The position of the newest event in the log (0: empty)."
      },
      "scanned_to": {
        "type": "integer",
        "format": "int64",
        "description": "The last position this read examined (`from - 1` when it examined none): every event up to it that matches the filter is in `events`, so the next page is `from = scanned_to + 1`. With a filter it can be well past the last event returned."
      }
    }
  },
  "StreamEvents": {
    "type": "object",
    "required": ["stream", "events"],
    "properties": {
      "stream": {"type": "string"},
      "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
    }
  },
  "NewEvent": {
    "type": "object",
    "required": ["type", "data"],
    "properties": {
      "type": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "description": "Printable ASCII, no spaces."
      },
      "data": {"description": "Any JSON; stored as its serialization."},
      "metadata": {"type": "object", "description": "Optional JSON object."},
      "id": {
        "type": "string",
        "format": "uuid",
        "description": "Optional event id; generated when absent."
      }
    }
  },
  "AppendResult": {
    "type": "object",
    "required": ["stream", "version", "position"],
    "properties": {
      "stream": {"type": "string"},
      "version": {
        "type": "integer",
        "format": "int64",
        "description": "The stream's version after the append (its last event's)."
      },
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "The global position of the last appended event."
      }
    },
    "examples": [{"stream": "inbox-42", "version": 1, "position": 57}]
  },
  "RebuildProgress": {
    "type": "object",
    "required": ["position", "target", "events_per_s", "eta_seconds"],
    "description": "Present while a rebuild runs beside the serving read model.",
    "properties": {
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "The last position the rebuild has applied."
      },
      "target": {
        "type": "integer",
        "format": "int64",
        "description": "The head when the rebuild started; it swaps in after catching up past it."
      },
      "events_per_s": {"type": "number", "description": "The rebuild's recent throughput."},
      "eta_seconds": {"type": "number", "description": "Estimated seconds to reach `target`."}
    }
  },
  "ProjectionStatus": {
    "type": "object",
    "description": "One projection, in the same shape as `duet projections --json` (src/server/projection_json.cc).",
    "required": [
      "name",
      "version",
      "store",
      "state",
      "checkpoint",
      "head",
      "lag_events",
      "lag_seconds",
      "events_per_s",
      "parked"
    ],
    "properties": {
      "name": {"type": "string", "examples": ["ledger-accounts"]},
      "version": {
        "type": "integer",
        "description": "The projection's version; a new version rebuilds its read model."
      },
      "store": {
        "type": "string",
        "enum": ["document", "search", "analytics"],
        "description": "The kind of read store."
      },
      "state": {"type": "string", "enum": ["catching-up", "live", "rebuilding", "stopped", "failed"]},
      "checkpoint": {
        "type": "integer",
        "format": "int64",
        "description": "The last position applied to the serving read model."
      },
      "head": {
        "type": "integer",
        "format": "int64",
        "description": "The log's head as this node knows it."
      },
      "lag_events": {"type": "integer", "format": "int64", "description": "head - checkpoint."},
      "lag_seconds": {
        "type": "number",
        "description": "Age of the oldest event not yet applied (0 when caught up)."
      },
      "events_per_s": {"type": "number", "description": "Recent apply throughput."},
      "parked": {
        "type": "integer",
        "format": "int64",
        "description": "Events set aside by the skip-and-park failure policy."
      },
      "failed_at": {
        "type": "integer",
        "format": "int64",
        "description": "Present when the projection stopped on an event: its position."
      },
      "error": {
        "type": "string",
        "description": "Present when the projection stopped on an error: the error."
      },
      "rebuild": {"$ref": "#/components/schemas/RebuildProgress"}
    }
  },
  "ProjectionList": {
    "type": "object",
    "required": ["projections"],
    "properties": {"projections": {"type": "array", "items": {"$ref": "#/components/schemas/ProjectionStatus"}}}
  },
  "VerifyReport": {
    "type": "object",
    "description": "The determinism check: the serving read model against a fresh replay into a scratch store, at the same position.",
    "required": ["position", "matches", "live_digest", "rebuilt_digest", "entries", "differing_keys"],
    "properties": {
      "position": {
        "type": "integer",
        "format": "int64",
        "description": "The global position both read models were compared at (the serving one's checkpoint)."
      },
      "matches": {"type": "boolean", "description": "The two digests are equal: the projection replays to the same read model."},
      "live_digest": {"type": "string", "description": "Hex digest of the serving read model's entries."},
      "rebuilt_digest": {"type": "string", "description": "Hex digest of the replayed read model's entries."},
      "entries": {"type": "integer", "format": "int64", "description": "Entries in the serving read model."},
      "differing_keys": {
        "type": "array",
        "items": {"type": "string"},
        "description": "Keys whose content differs, in key order; empty when `matches`, at most 100."
      }
    }
  },
  "ParkedEvent": {
    "type": "object",
    "description": "An event the projection could not apply and set aside (failure policy park).",
    "required": ["position", "stream", "type", "error"],
    "properties": {
      "position": {"type": "integer", "format": "int64", "description": "The event's global position."},
      "stream": {"type": "string"},
      "type": {"type": "string"},
      "error": {"type": "string", "description": "Why it could not be applied, as text."}
    }
  },
  "ParkedList": {
    "type": "object",
    "required": ["parked", "total"],
    "properties": {
      "parked": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/ParkedEvent"},
        "description": "The oldest parked events, oldest first, at most 100."
      },
      "total": {"type": "integer", "format": "int64", "description": "How many events are parked in all."}
    }
  },
  "ParkedRetry": {
    "type": "object",
    "required": ["remaining"],
    "properties": {
      "remaining": {"type": "integer", "format": "int64", "description": "Events still parked after the retry."}
    }
  },
  "Health": {
    "type": "object",
    "required": ["role", "status"],
    "properties": {
      "role": {"type": "string", "enum": ["all", "command", "query"], "description": "The node's role."},
      "version": {"type": "string", "description": "The Duet version the node runs (as `duet --version`)."},
      "status": {
        "type": "string",
        "description": "`ok`, or the `StatusCodeName` of what is wrong (docs/errors.md)."
      },
      "detail": {"type": "string", "description": "When not ok: the error, as text."}
    },
    "description": "Liveness. Not ok (503) once the store refuses appends after a storage failure (`io_error`, `storage_full`, ...)."
  },
  "Ready": {
    "type": "object",
    "required": ["role", "status"],
    "properties": {
      "role": {"type": "string", "enum": ["all", "command", "query"], "description": "The node's role."},
      "version": {"type": "string", "description": "The Duet version the node runs (as `duet --version`)."},
      "status": {
        "type": "string",
        "description": "`ok`, or the `StatusCodeName` of what is wrong (docs/errors.md)."
      },
      "detail": {"type": "string", "description": "When not ok: the error, as text."}
    },
    "description": "Readiness. Not ok (503) while a projection catches up (`timeout`, detail \"not yet\"), when one failed (`failed_precondition`), or on a query node while its follower is not connected (`overloaded`)."
  }
})json";
}

}  // namespace duet::server
