-- API keys: only the sha256 of a key is stored (keys are 32 random bytes, so a plain hash suffices), plus a short
-- prefix to recognise it in listings. A revoked key stays listed with its revocation time.
CREATE TABLE "api_key" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL,
  "role" TEXT NOT NULL CHECK ("role" IN ('reader', 'analyst', 'admin')),
  "prefix" TEXT NOT NULL,
  "hash" TEXT NOT NULL UNIQUE,
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "last_used_at" TIMESTAMPTZ,
  "revoked_at" TIMESTAMPTZ
);
CREATE INDEX "api_key_prefix_idx" ON "api_key" ("prefix");
