# Quantile confidence intervals (issue 12): R survey >= 4.0 svyquantile, Woodruff interval
# centred at Fhat(qhat) (interval.type = "mean", the default), qrule "math" and "hf7".
# Run: Rscript make_quantile_refs.R > quantiles.out   (R 4.2.2, survey 4.1.1)
# Writes quantiles.csv: quantile, lower, upper, se (15 significant digits) for
#   - apistrat, svydesign(id=~1, strata=~stype, weights=~pw, fpc=~fpc), overall and by stype;
#   - apiclus2, svydesign(id=~dnum, weights=~pw) (ultimate clusters, with replacement).
# The committed apistrat.csv / apiclus2.csv are exports of the same R data (see README).
suppressPackageStartupMessages(library(survey))
cat("R ", R.version$major, ".", R.version$minor, " survey ", as.character(packageVersion("survey")), "\n", sep = "")
data(api)
probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
rows <- list()
add <- function(data, rule, group, p, r) {
  rows[[length(rows) + 1]] <<- data.frame(data = data, qrule = rule, group = group, p = p,
    quantile = sprintf("%.15g", r[1]), lower = sprintf("%.15g", r[2]),
    upper = sprintf("%.15g", r[3]), se = sprintf("%.15g", r[4]))
}
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)
for (rule in c("math", "hf7")) {
  for (nm in c("apistrat", "apiclus2")) {
    des <- if (nm == "apistrat") dstrat else dclus2
    q <- svyquantile(~api00, des, probs, qrule = rule, ci = TRUE)
    cat("\n==", nm, "qrule =", rule, "==\n"); print(q$api00)
    for (i in seq_along(probs)) add(nm, rule, "all", probs[i], q$api00[i, ])
  }
  for (g in c("E", "H", "M")) {
    # svyby(..., svyquantile) subsets the design: the same as svyquantile on subset()
    q <- svyquantile(~api00, subset(dstrat, stype == g), probs, qrule = rule, ci = TRUE)
    cat("\n== apistrat stype", g, "qrule =", rule, "==\n"); print(q$api00)
    for (i in seq_along(probs)) add("apistrat", rule, g, probs[i], q$api00[i, ])
  }
}
out <- do.call(rbind, rows)
write.csv(out, "quantiles.csv", row.names = FALSE)
