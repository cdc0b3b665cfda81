-- The SHA-256 of the file an import read (issue 20): an import of the same bytes with the same options, while the data
-- version is still the one that import left, can only find every row unchanged, and says so without reading the file
-- into the database again (src/import/same-file.ts).
ALTER TABLE "import_log" ADD COLUMN "digest" TEXT;
CREATE INDEX "import_log_digest_idx" ON "import_log" ("kind", "digest");
