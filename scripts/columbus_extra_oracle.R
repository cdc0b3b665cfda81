# Extra spdep reference values for Columbus (queen weights): inference under normality, binary (B) weights,
# local Moran moments / z / p-values and quadrants, inverse-distance knn weights, SAR with binary weights.
# Usage: Rscript scripts/columbus_extra_oracle.R test/fixtures/columbus/data.geojson test/fixtures/columbus_extra/expected.json
suppressMessages({library(sf); library(spdep); library(spatialreg); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
col <- st_read(args[1], quiet = TRUE); st_crs(col) <- NA
nb <- poly2nb(col, queen = TRUE); lwW <- nb2listw(nb, style = "W"); lwB <- nb2listw(nb, style = "B")
mn <- moran.test(col$CRIME, lwW, randomisation = FALSE); gn <- geary.test(col$CRIME, lwW, randomisation = FALSE)
mB <- moran.test(col$CRIME, lwB); gB <- geary.test(col$CRIME, lwB)
lm <- localmoran(col$CRIME, lwW)
xy <- st_coordinates(st_centroid(st_geometry(col))); knn <- knn2nb(knearneigh(xy, k = 4))
d <- nbdists(knn, xy); lwI <- nb2listw(knn, glist = lapply(d, function(x) 1 / x), style = "W")
mI <- moran.test(col$CRIME, lwI)
lagB <- lagsarlm(CRIME ~ INC + HOVAL, col, lwB); impB <- impacts(lagB, listw = lwB)
h <- function(t) list(statistic = unname(t$statistic), pValue = unname(t$p.value), estimate = unname(t$estimate[1]), variance = unname(t$estimate[3]))
write(toJSON(list(
  moran_normality = h(mn), geary_normality = h(gn), moran_binary = h(mB), geary_binary = h(gB),
  local_moran = list(Ii = unname(lm[, 1]), E = unname(lm[, 2]), V = unname(lm[, 3]), Z = unname(lm[, 4]), P = unname(lm[, 5]),
    quadrant = as.character(attr(lm, "quadr")$pysal)),
  moran_inverse_distance_knn4 = h(mI),
  sar_binary = list(rho = unname(lagB$rho), rhoSE = unname(lagB$rho.se), coef = as.list(coef(lagB)), se = as.list(summary(lagB)$Coef[,2]), logLik = as.numeric(logLik(lagB)),
    direct = setNames(as.list(impB$direct), attr(impB, "bnames")), total = setNames(as.list(impB$total), attr(impB, "bnames"))),
  notes = paste("spdep", packageVersion("spdep"), "; queen poly2nb, snap sqrt(eps); knn on planar centroids; inverse distance 1/d row-standardised")
), auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
