# Lonely PSU "adjust" WITH an fpc (issue 18): R survey's options(survey.lonely.psu="adjust")
# scales the lonely stratum's squared PSU total by (1 - f), so an fpc must change the SE.
# Run: Rscript make_lonely_fpc_refs.R > lonely_fpc.out
# Writes lonely_fpc.csv (the design data) and lonely_fpc_ref.csv (points, SEs, 15 sig. digits).
# Design: the api_lonely design of tests/references/survey/make_lonely_refs.R (apistrat, PSU =
# dnum, the E schools of district 401 form a lonely stratum "L"), plus an fpc per stratum =
# 3 x the number of sampled PSUs of the stratum (made up, so that f = 1/3 everywhere).
suppressPackageStartupMessages(library(survey))
cat("R ", R.version$major, ".", R.version$minor, " survey ", as.character(packageVersion("survey")), "\n", sep = "")
data(api)
d <- apistrat[, c("snum", "stype", "dnum", "api00", "enroll", "pw")]
d$stype <- as.character(d$stype)
e_counts <- sort(table(d$dnum[d$stype == "E"]), decreasing = TRUE)
lonely_district <- as.integer(names(e_counts)[1])
d$strat <- ifelse(d$stype == "E" & d$dnum == lonely_district, "L", d$stype)
npsu <- tapply(d$dnum, d$strat, function(x) length(unique(x)))
d$fpc <- 3 * as.numeric(npsu[d$strat])
print(npsu)
write.csv(d, "lonely_fpc.csv", row.names = FALSE)
rows <- list()
for (rule in c("adjust", "certainty")) {
  options(survey.lonely.psu = rule)
  des <- svydesign(ids = ~dnum, strata = ~strat, weights = ~pw, fpc = ~fpc, data = d, nest = TRUE)
  cat("\n== survey.lonely.psu =", rule, "with fpc ==\n")
  m <- svymean(~api00, des); print(m)
  t <- svytotal(~enroll, des); print(t)
  rows[[length(rows) + 1]] <- data.frame(rule = rule, stat = c("mean", "total"),
    variable = c("api00", "enroll"), estimate = sprintf("%.15g", c(coef(m), coef(t))),
    se = sprintf("%.15g", c(SE(m), SE(t))))
}
out <- do.call(rbind, rows)
write.csv(out, "lonely_fpc_ref.csv", row.names = FALSE)
print(out)
