# Reference neighbour sets for test/spatial-usatlas.test.ts, made with spdep::poly2nb on us-atlas counties.
# Usage (from the repository root):
#   npx tsx scripts/usatlas-geojson.ts /tmp/counties.geojson
#   Rscript scripts/usatlas_poly2nb.R /tmp/counties.geojson test/fixtures/usatlas
# The CRS is dropped so poly2nb uses planar bounding-box candidates and snap = sqrt(.Machine$double.eps), the
# same settings as Agglomera's default (with the WGS84 CRS, poly2nb would use s2 and snap = 9e-8).
suppressMessages({library(sf); library(spdep); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
co <- st_read(args[1], quiet = TRUE)
st_crs(co) <- NA
ids <- as.character(co$GEOID)
out <- function(nb) setNames(lapply(nb, function(v) if (length(v) == 1L && v[1] == 0L) character(0) else ids[v]), ids)
t0 <- proc.time()[3]; q <- poly2nb(co, queen = TRUE, snap = sqrt(.Machine$double.eps)); tq <- proc.time()[3] - t0
t0 <- proc.time()[3]; r <- poly2nb(co, queen = FALSE, snap = sqrt(.Machine$double.eps)); tr <- proc.time()[3] - t0
write(toJSON(list(
  source = "us-atlas 3.0.1 counties-10m.json via topojson-client feature(); spdep poly2nb, CRS dropped, snap = sqrt(.Machine$double.eps)",
  spdep = as.character(packageVersion("spdep")), R = R.version.string,
  seconds = list(queen = unname(tq), rook = unname(tr)),
  queen = out(q), rook = out(r)), auto_unbox = FALSE, digits = NA), file.path(args[2], "poly2nb.json"))
cat("queen links", sum(card(q)), "rook links", sum(card(r)), "islands", sum(card(q) == 0), "\n")
