-- Composite indices (entropy-weight or equal-weight) defined by analysts over named city-year variables
-- (src/composites). A definition is stored; its values are computed in process and cached per data version, so
-- defining, redefining or dropping one bumps the data version like any other change of the data.
CREATE TABLE "composite" (
  "name"       TEXT PRIMARY KEY CHECK ("name" ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
  -- variable names in order; a leading '-' marks a cost indicator (smaller is better)
  "indicators" TEXT[] NOT NULL CHECK (cardinality("indicators") >= 1),
  "method"     TEXT NOT NULL CHECK ("method" IN ('entropy', 'equal')),
  "weighting"  TEXT NOT NULL CHECK ("weighting" IN ('pooled', 'per-year')),
  "year_from"  INTEGER,
  "year_to"    INTEGER,
  "shift"      DOUBLE PRECISION NOT NULL CHECK ("shift" > 0),
  -- built-in definitions (the paper's NQP) cannot be redefined or dropped
  "builtin"    BOOLEAN NOT NULL DEFAULT false,
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (("year_from" IS NULL) = ("year_to" IS NULL) AND ("year_from" IS NULL OR "year_from" <= "year_to"))
);
CREATE TRIGGER "composite_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "composite"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();

-- The 28 NQP indicators of city_year.nqp_indicators (src/domain/indicators.ts, in array order) as ordinary named
-- variables: every stored variable is read through this view. An imported variable (city_variable) of the same name
-- replaces the array's indicator as a whole (never cell by cell).
CREATE VIEW "unit_variable" AS
  SELECT "city_code", "year", "name", "value" FROM "city_variable"
  UNION ALL
  SELECT cy."city_code", cy."year", i."name", cy."nqp_indicators"[i."k"]
  FROM (VALUES ('rdStaff', 1), ('tertiaryEducated', 2), ('avgWage', 3), ('itEmployment', 4), ('eduSpendPc', 5), ('labourProductivity', 6), ('unemployment', 7), ('broadband', 8), ('mobile', 9), ('fibre', 10), ('robots', 11), ('hightechInvestment', 12), ('energyIntensity', 13), ('electricityIntensity', 14), ('seiOutput', 15), ('forest', 16), ('so2Intensity', 17), ('wastewaterIntensity', 18), ('solidWasteUse', 19), ('newEnergyPower', 20), ('greenSpace', 21), ('scienceSpending', 22), ('patentsPc', 23), ('techMarket', 24), ('digitalFinance', 25), ('ventureCapital', 26), ('ecommerce', 27), ('telecomPc', 28)) AS i("name", "k")
  JOIN "city_year" cy ON cardinality(cy."nqp_indicators") >= i."k"
  WHERE NOT EXISTS (SELECT 1 FROM "city_variable" v WHERE v."name" = i."name");

-- The paper's new quality productivity: entropy weights pooled over all city-years, cost indicators marked.
INSERT INTO "composite" ("name", "indicators", "method", "weighting", "shift", "builtin")
VALUES ('NQP', ARRAY['rdStaff', 'tertiaryEducated', 'avgWage', 'itEmployment', 'eduSpendPc', 'labourProductivity', '-unemployment', 'broadband', 'mobile', 'fibre', 'robots', 'hightechInvestment', '-energyIntensity', '-electricityIntensity', 'seiOutput', 'forest', '-so2Intensity', '-wastewaterIntensity', 'solidWasteUse', 'newEnergyPower', 'greenSpace', 'scienceSpending', 'patentsPc', 'techMarket', 'digitalFinance', 'ventureCapital', 'ecommerce', 'telecomPc'], 'entropy', 'pooled', 1e-4, true);
