-- Durable estimate jobs and their result cache: a restart loses neither (src/jobs/*, docs/operations.md).
CREATE TABLE "estimate_job" (
  "id"           TEXT PRIMARY KEY,
  -- the analysis request: { spec, level, sampleRules, rta }
  "request"      JSONB NOT NULL,
  "cache_key"    TEXT NOT NULL,
  "data_version" BIGINT NOT NULL,
  "status"       TEXT NOT NULL DEFAULT 'QUEUED' CHECK ("status" IN ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED')),
  "progress"     DOUBLE PRECISION NOT NULL DEFAULT 0,
  "result"       JSONB,
  -- { message, path, limit }
  "error"        JSONB,
  "cached"       BOOLEAN NOT NULL DEFAULT false,
  "attempts"     INTEGER NOT NULL DEFAULT 0,
  "owner_key_id" TEXT,
  -- the process that holds it (queued in its pool or running) and when that process last said so
  "worker"       TEXT,
  "heartbeat_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "submitted_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "started_at"   TIMESTAMPTZ,
  "finished_at"  TIMESTAMPTZ
);
CREATE INDEX "estimate_job_status_idx" ON "estimate_job" ("status", "heartbeat_at");
CREATE INDEX "estimate_job_submitted_idx" ON "estimate_job" ("submitted_at");

-- Finished estimates by request hash and data version (the hash includes the data version).
CREATE TABLE "estimate_result" (
  "cache_key"    TEXT PRIMARY KEY,
  "data_version" BIGINT NOT NULL,
  "result"       JSONB NOT NULL,
  "created_at"   TIMESTAMPTZ NOT NULL DEFAULT now()
);
