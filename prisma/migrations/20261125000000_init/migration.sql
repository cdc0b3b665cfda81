-- Agglomera initial schema: cities with PostGIS boundaries, precomputed neighbours, firms, firm-years, city-years.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TYPE "Region" AS ENUM ('East', 'Central', 'West');

CREATE TABLE "city" (
  "code"          CHAR(6) PRIMARY KEY CHECK ("code" ~ '^[1-8][0-9]{5}$'),
  "name"          TEXT NOT NULL,
  "province"      TEXT NOT NULL,
  "province_code" CHAR(6) NOT NULL,
  "region"        "Region" NOT NULL,
  "boundary"      geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid("boundary")),
  "centroid"      geometry(Point, 4326) NOT NULL,
  "area_km2"      DOUBLE PRECISION NOT NULL
);
CREATE INDEX "city_boundary_idx" ON "city" USING GIST ("boundary");
CREATE INDEX "city_centroid_idx" ON "city" USING GIST ("centroid");
CREATE INDEX "city_centroid_geog_idx" ON "city" USING GIST (("centroid"::geography));
CREATE INDEX "city_province_idx" ON "city" ("province");

-- Symmetric contiguity, computed once after a boundary import (see src/db/neighbours.sql.ts).
CREATE TABLE "city_neighbour" (
  "city_code"      CHAR(6) NOT NULL REFERENCES "city" ("code") ON DELETE CASCADE,
  "neighbour_code" CHAR(6) NOT NULL REFERENCES "city" ("code") ON DELETE CASCADE,
  "shared_km"      DOUBLE PRECISION NOT NULL,
  "distance_km"    DOUBLE PRECISION NOT NULL,
  PRIMARY KEY ("city_code", "neighbour_code"),
  CHECK ("city_code" <> "neighbour_code")
);
CREATE INDEX "city_neighbour_neighbour_idx" ON "city_neighbour" ("neighbour_code");

CREATE TABLE "firm" (
  "id"                 INTEGER PRIMARY KEY,
  "name"               TEXT NOT NULL,
  "city_code"          CHAR(6) NOT NULL REFERENCES "city" ("code"),
  "industry"           TEXT NOT NULL,
  "tech_intensive"     BOOLEAN NOT NULL,
  "strategic_emerging" BOOLEAN NOT NULL,
  "founded"            DATE NOT NULL,
  "listed"             BOOLEAN NOT NULL,
  "listed_on"          DATE,
  "st_flag"            BOOLEAN NOT NULL,
  "financial"          BOOLEAN NOT NULL
);
CREATE INDEX "firm_city_code_idx" ON "firm" ("city_code");

CREATE TABLE "firm_year" (
  "firm_id"        INTEGER NOT NULL REFERENCES "firm" ("id") ON DELETE CASCADE,
  "year"           INTEGER NOT NULL CHECK ("year" BETWEEN 1900 AND 2100),
  "revenue"        DOUBLE PRECISION NOT NULL,
  "employees"      INTEGER NOT NULL CHECK ("employees" >= 0),
  "assets"         DOUBLE PRECISION NOT NULL,
  "leverage"       DOUBLE PRECISION NOT NULL,
  "rnd"            DOUBLE PRECISION NOT NULL,
  "patents"        INTEGER NOT NULL CHECK ("patents" >= 0),
  "valuation_usd"  DOUBLE PRECISION,
  "revenue_growth" DOUBLE PRECISION,
  "intended_kind"  TEXT CHECK ("intended_kind" IN ('fledgling', 'gazelle', 'unicorn')),
  PRIMARY KEY ("firm_id", "year")
);
CREATE INDEX "firm_year_year_idx" ON "firm_year" ("year");

CREATE TABLE "city_year" (
  "city_code"       CHAR(6) NOT NULL REFERENCES "city" ("code"),
  "year"            INTEGER NOT NULL CHECK ("year" BETWEEN 1900 AND 2100),
  "population"      DOUBLE PRECISION NOT NULL,
  "urban_share"     DOUBLE PRECISION NOT NULL,
  "fiscal_spending" DOUBLE PRECISION NOT NULL,
  "fiscal_revenue"  DOUBLE PRECISION NOT NULL,
  "tertiary_share"  DOUBLE PRECISION NOT NULL,
  "education_share" DOUBLE PRECISION NOT NULL,
  "loans"           DOUBLE PRECISION NOT NULL,
  "gdp"             DOUBLE PRECISION NOT NULL,
  "nqp_indicators"  DOUBLE PRECISION[] NOT NULL CHECK (cardinality("nqp_indicators") <= 28),
  "dfu"             DOUBLE PRECISION NOT NULL,
  "rid"             DOUBLE PRECISION NOT NULL,
  "pc"              DOUBLE PRECISION NOT NULL,
  PRIMARY KEY ("city_code", "year")
);
CREATE INDEX "city_year_year_idx" ON "city_year" ("year");

-- What was loaded and when (demo data version, generator seed, synthetic flag).
CREATE TABLE "dataset_meta" (
  "key"   TEXT PRIMARY KEY,
  "value" TEXT NOT NULL
);
