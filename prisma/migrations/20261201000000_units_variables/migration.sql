-- Units from anywhere: a unit code is any short text key (GB/T 2260, FIPS, NUTS, ...), province / region are free
-- text, and the known city-year metrics may be missing (NULL = missing, never 0). The demo rows are kept as they are.
-- Analysts' own numeric columns live in "city_variable" (one row per unit, year and variable name).

ALTER TABLE "city_neighbour" DROP CONSTRAINT "city_neighbour_city_code_fkey";
ALTER TABLE "city_neighbour" DROP CONSTRAINT "city_neighbour_neighbour_code_fkey";
ALTER TABLE "firm" DROP CONSTRAINT "firm_city_code_fkey";
ALTER TABLE "city_year" DROP CONSTRAINT "city_year_city_code_fkey";

ALTER TABLE "city" DROP CONSTRAINT "city_code_check";
ALTER TABLE "city" ALTER COLUMN "code" TYPE TEXT;
ALTER TABLE "city" ADD CONSTRAINT "city_code_check" CHECK ("code" ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,31}$');
ALTER TABLE "city" ALTER COLUMN "province_code" TYPE TEXT;
ALTER TABLE "city" ALTER COLUMN "province_code" DROP NOT NULL;
ALTER TABLE "city" ALTER COLUMN "province" DROP NOT NULL;
ALTER TABLE "city" ALTER COLUMN "region" TYPE TEXT USING "region"::text;
ALTER TABLE "city" ALTER COLUMN "region" DROP NOT NULL;
DROP TYPE "Region";

ALTER TABLE "city_neighbour" ALTER COLUMN "city_code" TYPE TEXT;
ALTER TABLE "city_neighbour" ALTER COLUMN "neighbour_code" TYPE TEXT;
ALTER TABLE "firm" ALTER COLUMN "city_code" TYPE TEXT;
ALTER TABLE "city_year" ALTER COLUMN "city_code" TYPE TEXT;
ALTER TABLE "agglomeration_cache" ALTER COLUMN "city_code" TYPE TEXT;

ALTER TABLE "city_neighbour" ADD CONSTRAINT "city_neighbour_city_code_fkey" FOREIGN KEY ("city_code") REFERENCES "city" ("code") ON DELETE CASCADE;
ALTER TABLE "city_neighbour" ADD CONSTRAINT "city_neighbour_neighbour_code_fkey" FOREIGN KEY ("neighbour_code") REFERENCES "city" ("code") ON DELETE CASCADE;
ALTER TABLE "firm" ADD CONSTRAINT "firm_city_code_fkey" FOREIGN KEY ("city_code") REFERENCES "city" ("code");
ALTER TABLE "city_year" ADD CONSTRAINT "city_year_city_code_fkey" FOREIGN KEY ("city_code") REFERENCES "city" ("code");

ALTER TABLE "city_year"
  ALTER COLUMN "population" DROP NOT NULL,
  ALTER COLUMN "urban_share" DROP NOT NULL,
  ALTER COLUMN "fiscal_spending" DROP NOT NULL,
  ALTER COLUMN "fiscal_revenue" DROP NOT NULL,
  ALTER COLUMN "tertiary_share" DROP NOT NULL,
  ALTER COLUMN "education_share" DROP NOT NULL,
  ALTER COLUMN "loans" DROP NOT NULL,
  ALTER COLUMN "gdp" DROP NOT NULL,
  ALTER COLUMN "dfu" DROP NOT NULL,
  ALTER COLUMN "rid" DROP NOT NULL,
  ALTER COLUMN "pc" DROP NOT NULL;

-- The analyst's own city-year variables (any numeric CSV column the schema does not know). NULL value = missing.
CREATE TABLE "city_variable" (
  "city_code" TEXT NOT NULL REFERENCES "city" ("code") ON DELETE CASCADE,
  "year"      INTEGER NOT NULL CHECK ("year" BETWEEN 1900 AND 2100),
  "name"      TEXT NOT NULL CHECK ("name" ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
  "value"     DOUBLE PRECISION,
  PRIMARY KEY ("city_code", "year", "name")
);
CREATE INDEX "city_variable_name_year_idx" ON "city_variable" ("name", "year");
CREATE TRIGGER "city_variable_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "city_variable"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_data_version"();
