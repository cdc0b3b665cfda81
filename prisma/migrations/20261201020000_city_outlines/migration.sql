-- Precomputed outlines: each unit's boundary simplified at a few tolerances (degrees; 0 = the stored boundary),
-- kept both in lon/lat (for GraphQL / GeoJSON, with the GeoJSON text ready to send) and in Web Mercator (for vector
-- tiles). Filled at demo load and by refreshOutlines(db, codes) after a boundary import (src/db/queries/outlines.ts).
CREATE TABLE "city_outline" (
  "city_code"   TEXT NOT NULL REFERENCES "city" ("code") ON DELETE CASCADE ON UPDATE CASCADE,
  "tolerance"   DOUBLE PRECISION NOT NULL CHECK ("tolerance" >= 0 AND "tolerance" <= 1),
  "outline"     geometry(MultiPolygon, 4326) NOT NULL,
  "outline_3857" geometry(MultiPolygon, 3857) NOT NULL,
  "geojson"     TEXT NOT NULL,
  "vertices"    INTEGER NOT NULL,
  PRIMARY KEY ("tolerance", "city_code")
);
CREATE INDEX "city_outline_3857_idx" ON "city_outline" USING GIST ("outline_3857");
CREATE INDEX "city_outline_code_idx" ON "city_outline" ("city_code");

-- dataset_meta 'geometry_version': bumped by every statement that changes units or their outlines, so tile caches
-- and ETags (which also carry data_version) change when the map would.
INSERT INTO "dataset_meta" ("key", "value") VALUES ('geometry_version', '1') ON CONFLICT ("key") DO NOTHING;

CREATE FUNCTION "bump_geometry_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "dataset_meta" ("key", "value") VALUES ('geometry_version', '1')
  ON CONFLICT ("key") DO UPDATE SET "value" = ("dataset_meta"."value"::bigint + 1)::text;
  RETURN NULL;
END $$;

CREATE TRIGGER "city_geometry_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "city"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_geometry_version"();
CREATE TRIGGER "city_outline_geometry_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "city_outline"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_geometry_version"();

-- A changed boundary makes its outlines stale: they are removed at once (the tile service, start-up and
-- refreshOutlines compute them again; GraphQL computes missing ones per request meanwhile).
CREATE FUNCTION "drop_stale_outlines"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "city_outline" WHERE "city_code" = NEW."code";
  RETURN NULL;
END $$;

CREATE TRIGGER "city_boundary_outlines" AFTER UPDATE OF "boundary" ON "city"
  FOR EACH ROW WHEN (OLD."boundary" IS DISTINCT FROM NEW."boundary") EXECUTE FUNCTION "drop_stale_outlines"();
