# Reference values for the weighted Gini (issue 12): laeken's Eurostat definition.
# Run: Rscript make_laeken_refs.R > laeken_gini.out   (R 4.x, laeken 0.5.2, survey 4.1.1)
# Writes: eusilc.csv.gz (laeken's synthetic EU-SILC sample, the columns the tests use) and
#         laeken_gini.csv (the reference values, 15 significant digits).
# laeken::gini = 100 * ((2 * sum(w x cumsum(w)) - sum(w^2 x)) / (sum(w) sum(w x)) - 1),
# x sorted increasingly (laeken:::giniCoeff); it is invariant to the scale of the weights.
suppressPackageStartupMessages({library(laeken); library(survey)})
cat("R", R.version$major, ".", R.version$minor, " laeken ", as.character(packageVersion("laeken")),
    " survey ", as.character(packageVersion("survey")), "\n", sep = "")
data(eusilc, package = "laeken")
eu <- eusilc[, c("db030", "db040", "eqIncome", "rb050")]
con <- gzfile("eusilc.csv.gz", "w")
write.csv(data.frame(db030 = eu$db030, db040 = as.character(eu$db040),
                     eqIncome = sprintf("%.17g", eu$eqIncome), rb050 = sprintf("%.17g", eu$rb050)),
          con, row.names = FALSE, quote = TRUE)
close(con)
rows <- list()
add <- function(data, what, group, value) {
  rows[[length(rows) + 1]] <<- data.frame(data = data, what = what, group = group,
                                          value = sprintf("%.15g", value))
}
g <- gini("eqIncome", weights = "rb050", data = eu)
print(g)
add("eusilc", "gini", "all", g$value / 100)
gb <- gini("eqIncome", weights = "rb050", breakdown = "db040", data = eu)
print(gb)
for (i in seq_len(nrow(gb$valueByStratum)))
  add("eusilc", "gini", as.character(gb$valueByStratum$stratum[i]), gb$valueByStratum$value[i] / 100)
# scale invariance as laeken computes it: weights times 1000
g1000 <- gini(eu$eqIncome, weights = 1000 * eu$rb050)
add("eusilc", "gini_weights_x1000", "all", g1000$value / 100)
data(api, package = "survey")
ga <- gini(apistrat$api00, weights = apistrat$pw)
print(ga)
add("apistrat", "gini", "all", ga$value / 100)
gs <- gini(apistrat$api00, weights = apistrat$pw, breakdown = apistrat$stype)
print(gs)
for (i in seq_len(nrow(gs$valueByStratum)))
  add("apistrat", "gini", as.character(gs$valueByStratum$stratum[i]), gs$valueByStratum$value[i] / 100)
out <- do.call(rbind, rows)
write.csv(out, "laeken_gini.csv", row.names = FALSE)
print(out)
