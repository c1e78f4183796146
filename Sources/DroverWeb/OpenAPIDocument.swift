/// The API's contract, served at `/api/v1/openapi.json`. Written by hand (OpenAPI 3.1, JSON
/// Schema 2020-12 types) and checked against real responses by `OpenAPISchemaTests`: every
/// response of the API test suite is validated against the schema named here for its path,
/// method and status, so the document cannot drift from what the server sends.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Drover HTTP API",
    "version": "1.0.0",
    "description": "Monitoring and control of Drover job queues. State-changing requests need `Authorization: Bearer <token>` (the token file named by `http.token_file`); reads need it too unless `http.open_reads` is true. `/`, `/healthz` and this document are public. Every error is a JSON `Error`. Redis unreachable, or refusing Drover (a wrong password), is a 503 on every endpoint. A query parameter an operation does not list is a 400; a method a path does not take is a 405 with `Allow`; a `Host` the server is not configured to answer to (`http.allowed_hosts`) is a 421. Times are UTC, RFC 3339 with milliseconds."
  },
  "servers": [{"url": "http://127.0.0.1:9181"}],
  "security": [{"bearer": []}],
  "paths": {
    "/healthz": {
      "get": {
        "summary": "Whether the server can reach Redis",
        "security": [],
        "responses": {
          "200": {"description": "Redis answers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
          "503": {"description": "Redis is unreachable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text exposition format 0.0.4)",
        "responses": {
          "200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/openapi.json": {
      "get": {
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "the document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/api/v1/queues": {
      "get": {
        "summary": "Every queue with its counts per state, the age of its oldest queued job and its counters",
        "responses": {
          "200": {"description": "queues", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueueList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/queues/{queue}/jobs": {
      "get": {
        "summary": "A page of a queue's jobs in one state",
        "parameters": [
          {"name": "queue", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/QueueName"}},
          {"$ref": "#/components/parameters/state"},
          {"$ref": "#/components/parameters/offset"},
          {"$ref": "#/components/parameters/limit"},
          {"$ref": "#/components/parameters/order"}
        ],
        "responses": {
          "200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/jobs": {
      "get": {
        "summary": "A page of jobs in one state, of one queue or of every queue merged (queued needs a queue)",
        "parameters": [
          {"$ref": "#/components/parameters/state"},
          {"$ref": "#/components/parameters/queue"},
          {"$ref": "#/components/parameters/offset"},
          {"$ref": "#/components/parameters/limit"},
          {"$ref": "#/components/parameters/order"}
        ],
        "responses": {
          "200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "summary": "Enqueue a job (the options of `drover enqueue`)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnqueueRequest"}}}},
        "responses": {
          "201": {"description": "enqueued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnqueuedJob"}}}},
          "200": {"description": "a live job already holds the unique key (`duplicate`), or a job with this `id` is this job (`repeated`, a retry): that job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnqueuedJob"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "504": {"description": "the enqueue reached Redis but its reply was lost, twice: whether the job was written is unknown (code `outcome_unknown`); send the same body again with `\"id\"` set to the `id` given here", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/api/v1/jobs/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {
        "summary": "One job",
        "responses": {
          "200": {"description": "the job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "delete": {
        "summary": "Delete a job that is not running",
        "responses": {
          "200": {"description": "deleted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/cancel": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "post": {
        "summary": "Cancel a job: a scheduled or queued one at once, a started one is asked to stop",
        "responses": {
          "200": {"description": "canceled or requested", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CanceledJob"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/jobs/{id}/requeue": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "post": {
        "summary": "Put a failed or canceled job back in its queue with fresh attempts",
        "responses": {
          "200": {"description": "requeued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/Conflict"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/failed": {
      "get": {
        "summary": "The failed registry, newest first (all queues unless one is given)",
        "parameters": [
          {"$ref": "#/components/parameters/queue"},
          {"$ref": "#/components/parameters/offset"},
          {"$ref": "#/components/parameters/limit"},
          {"$ref": "#/components/parameters/order"}
        ],
        "responses": {
          "200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/failed/requeue": {
      "post": {
        "summary": "Requeue failed jobs: the ids given, a queue's, or every one (empty body or {})",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkRequeueRequest"}}}},
        "responses": {
          "200": {"description": "what was requeued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BulkRequeue"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/scheduled": {
      "get": {
        "summary": "Scheduled jobs (delayed, or waiting for a retry), soonest first",
        "parameters": [
          {"$ref": "#/components/parameters/queue"},
          {"$ref": "#/components/parameters/offset"},
          {"$ref": "#/components/parameters/limit"},
          {"$ref": "#/components/parameters/order"}
        ],
        "responses": {
          "200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/workers": {
      "get": {
        "summary": "Supervisors, their pools and children (host, pid, pool, current job, jobs done, started at, RSS) and their counters",
        "responses": {
          "200": {"description": "workers", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Workers"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/periodic": {
      "get": {
        "summary": "Periodic entries of the config with their next fire times and the last tick fired",
        "responses": {
          "200": {"description": "entries", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Periodic"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "description": "percent-decoded: 1 to 200 bytes, no space or control character", "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\u0000-\\u0020\\u007f]+$"}},
      "queue": {"name": "queue", "in": "query", "schema": {"$ref": "#/components/schemas/QueueName"}},
      "state": {"name": "state", "in": "query", "required": true, "schema": {"$ref": "#/components/schemas/JobState"}},
      "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 0}},
      "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
      "order": {"name": "order", "in": "query", "description": "newest: highest score first (latest ended, latest lease, latest due; for queued, the reverse of run order); oldest: the opposite", "schema": {"type": "string", "enum": ["newest", "oldest"]}}
    },
    "responses": {
      "BadRequest": {"description": "malformed request; nothing was written", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong bearer token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "no token is configured, so the request cannot be authorized", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "no job with this id", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Conflict": {"description": "the job's state refuses the change", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "the body is larger than the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "Redis is unreachable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "id": {"type": "string", "description": "with `outcome_unknown`: the id of the job whose enqueue is unconfirmed"}}}}
      },
      "Health": {
        "type": "object", "required": ["status", "redis"],
        "properties": {
          "status": {"type": "string", "enum": ["ok", "unavailable"]},
          "redis": {"type": "string", "enum": ["ok", "unreachable"]},
          "error": {"$ref": "#/components/schemas/Error/properties/error"}
        }
      },
      "Time": {"type": ["string", "null"], "format": "date-time"},
      "QueueName": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[A-Za-z0-9_.:-]+$"},
      "JobState": {"type": "string", "enum": ["scheduled", "queued", "started", "finished", "failed", "canceled"]},
      "Job": {
        "type": "object",
        "required": ["id", "name", "queue", "args", "state", "priority", "attempt", "max_attempts", "backoff", "soft_time_limit", "time_limit", "unique_key", "created_at", "enqueued_at", "scheduled_for", "started_at", "ended_at", "worker", "progress", "result", "error", "result_ttl", "failure_ttl", "cancel_requested"],
        "properties": {
          "id": {"type": "string"}, "name": {"type": "string"}, "queue": {"type": "string"},
          "args": {"description": "any JSON, exactly as enqueued"},
          "state": {"$ref": "#/components/schemas/JobState"},
          "priority": {"type": "integer"}, "attempt": {"type": "integer"}, "max_attempts": {"type": "integer"},
          "backoff": {"type": "object", "required": ["base", "factor", "cap", "jitter"], "properties": {"base": {"type": "number"}, "factor": {"type": "number"}, "cap": {"type": "number"}, "jitter": {"type": "number"}}},
          "soft_time_limit": {"type": ["number", "null"]}, "time_limit": {"type": ["number", "null"]},
          "unique_key": {"type": ["string", "null"]},
          "created_at": {"$ref": "#/components/schemas/Time"}, "enqueued_at": {"$ref": "#/components/schemas/Time"},
          "scheduled_for": {"$ref": "#/components/schemas/Time"}, "started_at": {"$ref": "#/components/schemas/Time"},
          "ended_at": {"$ref": "#/components/schemas/Time"},
          "worker": {"type": ["string", "null"]},
          "progress": {"type": ["object", "null"], "required": ["percent", "note"], "properties": {"percent": {"type": "number"}, "note": {}}},
          "result": {"description": "any JSON, or null"},
          "error": {"type": ["object", "null"], "required": ["type", "message"], "properties": {"type": {"type": "string"}, "message": {"type": "string"}, "signal": {"type": "string"}, "exit_status": {"type": "integer"}}},
          "result_ttl": {"type": "number"}, "failure_ttl": {"type": "number"},
          "cancel_requested": {"type": "boolean"}
        }
      },
      "EnqueuedJob": {"allOf": [{"$ref": "#/components/schemas/Job"}, {"type": "object", "required": ["duplicate"], "properties": {"duplicate": {"type": "boolean"}, "repeated": {"type": "boolean"}}}]},
      "CanceledJob": {"allOf": [{"$ref": "#/components/schemas/Job"}, {"type": "object", "required": ["outcome"], "properties": {"outcome": {"type": "string", "enum": ["canceled", "requested"]}}}]},
      "JobPage": {
        "type": "object", "required": ["jobs", "total", "offset", "limit", "state", "queue", "order"],
        "properties": {
          "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
          "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
          "state": {"$ref": "#/components/schemas/JobState"}, "queue": {"type": ["string", "null"]},
          "order": {"type": "string", "enum": ["newest", "oldest"]}
        }
      },
      "QueueList": {
        "type": "object", "required": ["queues", "time"],
        "properties": {
          "time": {"type": "string", "format": "date-time"},
          "queues": {"type": "array", "items": {
            "type": "object", "required": ["name", "counts", "oldest_queued_at", "oldest_queued_age_seconds", "totals"],
            "properties": {
              "name": {"type": "string"},
              "counts": {"type": "object", "required": ["queued", "scheduled", "started", "finished", "failed", "canceled"], "additionalProperties": {"type": "integer"}},
              "oldest_queued_at": {"$ref": "#/components/schemas/Time"},
              "oldest_queued_age_seconds": {"type": ["number", "null"]},
              "totals": {"type": "object", "required": ["enqueued", "finished", "failed", "retried", "canceled", "lost", "stale"], "additionalProperties": {"type": "integer"}}
            }
          }}
        }
      },
      "EnqueueRequest": {
        "type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {
          "name": {"type": "string", "minLength": 1}, "queue": {"allOf": [{"$ref": "#/components/schemas/QueueName"}], "default": "default"}, "args": {"description": "any JSON (default {})"},
          "id": {"type": "string", "minLength": 1, "pattern": "^[^\\u0000-\\u0020\\u007f]+$", "description": "the job's id, at most 200 bytes (default: a new one); the same job sent again with its id is returned, not copied"},
          "in": {"type": ["string", "number"], "description": "delay: seconds, or 30s, 5m, 1h30m"},
          "at": {"type": "string", "format": "date-time"},
          "priority": {"type": "integer", "minimum": -1000, "maximum": 1000},
          "unique_key": {"type": ["string", "null"], "minLength": 1, "maxLength": 500, "description": "1 to 500 bytes"}, "max_attempts": {"type": "integer", "minimum": 1, "maximum": 999999999999999},
          "soft_time_limit": {"type": ["string", "number"]}, "time_limit": {"type": ["string", "number"]},
          "result_ttl": {"type": ["string", "number"]}
        }
      },
      "Deleted": {"type": "object", "required": ["id", "deleted"], "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}}},
      "BulkRequeueRequest": {"type": "object", "additionalProperties": false, "properties": {"ids": {"type": "array", "items": {"type": "string"}}, "queue": {"$ref": "#/components/schemas/QueueName"}}},
      "BulkRequeue": {
        "type": "object", "required": ["requeued", "refused"],
        "properties": {
          "requeued": {"type": "array", "items": {"type": "string"}},
          "refused": {"type": "array", "items": {"type": "object", "required": ["id", "reason"], "properties": {"id": {"type": "string"}, "reason": {"type": "string"}}}}
        }
      },
      "Workers": {
        "type": "object", "required": ["supervisors", "counters"],
        "properties": {
          "supervisors": {"type": "array", "items": {
            "type": "object", "required": ["id", "host", "pid", "name", "started_at", "heartbeat_at", "stale", "status", "jobs_done", "pools", "children"],
            "properties": {
              "id": {"type": "string"}, "host": {"type": "string"}, "pid": {"type": "integer"}, "name": {"type": ["string", "null"]},
              "started_at": {"$ref": "#/components/schemas/Time"}, "heartbeat_at": {"$ref": "#/components/schemas/Time"},
              "stale": {"type": "boolean"}, "status": {"type": "string"}, "jobs_done": {"type": "integer"},
              "pools": {"type": "array", "items": {"type": "object", "required": ["name", "queues", "concurrency"], "properties": {"name": {"type": "string"}, "queues": {"type": "array", "items": {"type": "string"}}, "concurrency": {"type": "integer"}}}},
              "children": {"type": "array", "items": {
                "type": "object", "required": ["pid", "pool", "role", "state", "job_id", "job_started_at", "jobs_done", "rss_bytes", "started_at"],
                "properties": {
                  "pid": {"type": "integer"}, "pool": {"type": "string"}, "role": {"type": "string"},
                  "state": {"type": "string"}, "job_id": {"type": ["string", "null"]},
                  "job_started_at": {"$ref": "#/components/schemas/Time"}, "jobs_done": {"type": "integer"},
                  "rss_bytes": {"type": ["integer", "null"]}, "started_at": {"$ref": "#/components/schemas/Time"}
                }
              }}
            }
          }},
          "counters": {"type": "array", "items": {"type": "object", "required": ["name", "pool", "value"], "properties": {"name": {"type": "string"}, "pool": {"type": "string"}, "value": {"type": "integer"}}}}
        }
      },
      "Periodic": {
        "type": "object", "required": ["entries"],
        "properties": {"entries": {"type": "array", "items": {
          "type": "object", "required": ["name", "cron", "timezone", "job", "queue", "args", "priority", "next_run_at", "last_run_at", "last_job_id"],
          "properties": {
            "name": {"type": "string"}, "cron": {"type": "string"}, "timezone": {"type": "string"}, "job": {"type": "string"},
            "queue": {"type": "string"}, "args": {}, "priority": {"type": ["integer", "null"]},
            "next_run_at": {"$ref": "#/components/schemas/Time"},
            "last_run_at": {"allOf": [{"$ref": "#/components/schemas/Time"}], "description": "the due time of the last tick the scheduler fired or skipped (null: never)"},
            "last_job_id": {"type": ["string", "null"], "description": "the job that tick enqueued (null when it was skipped as too late, or never fired)"}
          }
        }}}
      }
    }
  }
}
"""#
}
