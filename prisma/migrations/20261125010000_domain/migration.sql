-- Domain layer: annual firm classifications (versioned rule sets, with reasons), a data version bumped by any change
-- to the data the indices are computed from, and a cache of city-year agglomeration measures keyed by that version.

-- One row per firm-year that qualifies for a kind under a rule set; firm-years that qualify for none have no row.
CREATE TABLE "firm_kind" (
  "rule_version" TEXT NOT NULL,
  "firm_id"      INTEGER NOT NULL,
  "year"         INTEGER NOT NULL,
  "kind"         TEXT NOT NULL CHECK ("kind" IN ('fledgling', 'gazelle', 'unicorn')),
  -- every kind the firm-year met before precedence picked `kind` (e.g. {unicorn, fledgling})
  "qualified"    TEXT[] NOT NULL,
  -- the conditions of `kind` as met, e.g. ["age 4 < 10", "R&D/revenue 0.12 >= 0.05"]
  "reasons"      JSONB NOT NULL CHECK (jsonb_typeof("reasons") = 'array'),
  PRIMARY KEY ("rule_version", "firm_id", "year"),
  FOREIGN KEY ("firm_id", "year") REFERENCES "firm_year" ("firm_id", "year") ON DELETE CASCADE
);
CREATE INDEX "firm_kind_firm_idx" ON "firm_kind" ("firm_id", "year");
CREATE INDEX "firm_kind_year_idx" ON "firm_kind" ("rule_version", "year", "kind");

-- dataset_meta 'data_version': a counter bumped by every statement that changes firms, firm-years, city-years or
-- classifications, whoever issues it (imports, reclassification, manual edits). Caches are keyed by it.
INSERT INTO "dataset_meta" ("key", "value") VALUES ('data_version', '1') ON CONFLICT ("key") DO NOTHING;

CREATE FUNCTION "bump_data_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "dataset_meta" ("key", "value") VALUES ('data_version', '1')
  ON CONFLICT ("key") DO UPDATE SET "value" = ("dataset_meta"."value"::bigint + 1)::text;
  RETURN NULL;
END $$;

CREATE TRIGGER "firm_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "firm"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "firm_year_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "firm_year"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "city_year_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "city_year"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
CREATE TRIGGER "firm_kind_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "firm_kind"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();

-- City-year counts and co-agglomeration measures, per data version and canonical options (JSON text).
-- Rows of older data versions are stale and deleted when a newer version is computed.
CREATE TABLE "agglomeration_cache" (
  "data_version" BIGINT NOT NULL,
  "options_key"  TEXT NOT NULL,
  "city_code"    CHAR(6) NOT NULL,
  "year"         INTEGER NOT NULL,
  "q1"           INTEGER NOT NULL,
  "q2"           INTEGER NOT NULL,
  "q3"           INTEGER NOT NULL,
  "n_firms"      INTEGER NOT NULL,
  "rta"          DOUBLE PRECISION,
  "rta_note"     TEXT,
  "entropy"      DOUBLE PRECISION,
  "inv_hhi"      DOUBLE PRECISION,
  "eg"           DOUBLE PRECISION,
  PRIMARY KEY ("data_version", "options_key", "city_code", "year")
);
