-- Every import (CLI, HTTP, GraphQL) leaves one row here, written or not: what was imported, when, by whom, how it went.
CREATE TABLE "import_log" (
  "id"             BIGSERIAL PRIMARY KEY,
  "kind"           TEXT NOT NULL CHECK ("kind" IN ('boundaries', 'city-years', 'firms', 'firm-years')),
  "file_name"      TEXT NOT NULL,
  "status"         TEXT NOT NULL CHECK ("status" IN ('ok', 'rejected', 'dry-run', 'failed')),
  "rows_read"      INTEGER NOT NULL DEFAULT 0,
  "inserted"       INTEGER NOT NULL DEFAULT 0,
  "updated"        INTEGER NOT NULL DEFAULT 0,
  "unchanged"      INTEGER NOT NULL DEFAULT 0,
  "deleted"        INTEGER NOT NULL DEFAULT 0,
  "problem_count"  INTEGER NOT NULL DEFAULT 0,
  -- the first problems in full (RowProblem[]), as in the report
  "problems"       JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof("problems") = 'array'),
  "options"        JSONB NOT NULL DEFAULT '{}',
  "derived"        JSONB NOT NULL DEFAULT '[]',
  "warnings"       JSONB NOT NULL DEFAULT '[]',
  "message"        TEXT,
  "started_at"     TIMESTAMPTZ NOT NULL,
  "finished_at"    TIMESTAMPTZ NOT NULL,
  -- API key id when known; "via" says which door (cli, http, graphql)
  "key_id"         TEXT,
  "via"            TEXT,
  "data_version"   BIGINT
);
CREATE INDEX "import_log_started_idx" ON "import_log" ("started_at" DESC, "id" DESC);
