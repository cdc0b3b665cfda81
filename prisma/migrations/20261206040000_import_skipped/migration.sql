-- Unit matching by name (issue 17): rows left out with --skip-unmatched are counted and listed, and the rows matched
-- per method (code, name, normalised, short, pinyin, history) are recorded with the import.
ALTER TABLE "import_log" ADD COLUMN "skipped" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "import_log" ADD COLUMN "skipped_rows" JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof("skipped_rows") = 'array');
ALTER TABLE "import_log" ADD COLUMN "matched" JSONB NOT NULL DEFAULT '{}';
