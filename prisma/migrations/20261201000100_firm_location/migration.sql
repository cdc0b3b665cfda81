-- Where a firm is: a point (a register's coordinates when it has them; else its unit's interior point), for the
-- OGC `firms` collection and the firm tiles.
ALTER TABLE "firm" ADD COLUMN "location" geometry(Point, 4326);
UPDATE "firm" f SET "location" = c."centroid" FROM "city" c WHERE c."code" = f."city_code" AND f."location" IS NULL;
CREATE INDEX "firm_location_idx" ON "firm" USING GIST ("location");
