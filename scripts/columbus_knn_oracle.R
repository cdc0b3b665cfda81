# Reference values for asymmetric weights (k = 4 nearest neighbours, row-standardised) on Columbus:
# spatialreg's eigen method then works with complex eigenvalues; Agglomera uses an exact dense LU log-determinant.
# Usage: Rscript scripts/columbus_knn_oracle.R test/fixtures/columbus/data.geojson test/fixtures/columbus_knn/expected.json
suppressMessages({library(sf); library(spdep); library(spatialreg); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
col <- st_read(args[1], quiet = TRUE)
st_crs(col) <- NA  # planar, as the shapefile in spData
knn <- knn2nb(knearneigh(st_coordinates(st_centroid(st_geometry(col))), k = 4))
lw <- nb2listw(knn, style = "W")
mi <- moran.test(col$CRIME, lw); lm1 <- lm(CRIME ~ INC + HOVAL, col); lmt <- lm.LMtests(lm1, lw, test = "all")
lag <- lagsarlm(CRIME ~ INC + HOVAL, col, lw); err <- errorsarlm(CRIME ~ INC + HOVAL, col, lw)
dur <- lagsarlm(CRIME ~ INC + HOVAL, col, lw, type = "mixed"); impd <- impacts(dur, listw = lw)
ids <- as.integer(col$POLYID)
co <- function(m) as.list(coef(m))
write(toJSON(list(
  weights = "knn4 on planar polygon centroids, row-standardised (asymmetric)",
  neighbours_knn4 = setNames(lapply(knn, function(v) ids[v]), ids),
  moran_crime = list(I = unname(mi$estimate[1]), variance = unname(mi$estimate[3]), z = unname(mi$statistic)),
  lm_tests = lapply(lmt, function(t) list(statistic = unname(t$statistic), pValue = unname(t$p.value))),
  sar = list(rho = unname(lag$rho), rhoSE = unname(lag$rho.se), coef = co(lag), se = as.list(summary(lag)$Coef[,2]), logLik = as.numeric(logLik(lag))),
  sem = list(lambda = unname(err$lambda), lambdaSE = unname(err$lambda.se), coef = co(err), se = as.list(summary(err)$Coef[,2]), logLik = as.numeric(logLik(err))),
  sdm = list(rho = unname(dur$rho), coef = co(dur), se = as.list(summary(dur)$Coef[,2]), logLik = as.numeric(logLik(dur))),
  sdm_impacts = list(direct = setNames(as.list(impd$direct), attr(impd, "bnames")), indirect = setNames(as.list(impd$indirect), attr(impd, "bnames")), total = setNames(as.list(impd$total), attr(impd, "bnames"))),
  notes = paste("R", R.version$major, R.version$minor, "spdep", packageVersion("spdep"), "spatialreg", packageVersion("spatialreg"), "- method eigen (complex eigenvalues), asymptotic SEs")
), auto_unbox = TRUE, digits = NA, pretty = TRUE), args[2])
