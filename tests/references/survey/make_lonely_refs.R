# Lonely-PSU references (issue 12): R survey's options(survey.lonely.psu=) on a design with a
# stratum holding a single PSU, overall and by domain (svyby), for "average", "adjust",
# "certainty" and "remove".
# Run: Rscript make_lonely_refs.R > lonely_psu.out   (R 4.2.2, survey 4.1.1)
# Writes api_lonely.csv (the design data) and lonely_psu.csv (points, SEs, 15 significant digits).
# Design: apistrat, PSU = school district (dnum, nested in strata), strata = stype, except that
# the elementary schools of district 401 (the E district with most sampled schools) form a
# stratum "L" of their own: a stratum with one PSU. Domains: the original stype, so that
# domain E has rows in the lonely stratum and domains H and M have none.
suppressPackageStartupMessages(library(survey))
cat("R ", R.version$major, ".", R.version$minor, " survey ", as.character(packageVersion("survey")), "\n", sep = "")
data(api)
d <- apistrat[, c("snum", "stype", "dnum", "api00", "enroll", "pw")]
d$stype <- as.character(d$stype)
e_counts <- sort(table(d$dnum[d$stype == "E"]), decreasing = TRUE)
lonely_district <- as.integer(names(e_counts)[1])
cat("lonely district:", lonely_district, "with", e_counts[1], "schools\n")
d$strat <- ifelse(d$stype == "E" & d$dnum == lonely_district, "L", d$stype)
write.csv(d, "api_lonely.csv", row.names = FALSE)
rows <- list()
add <- function(rule, stat, var, group, est, se) {
  rows[[length(rows) + 1]] <<- data.frame(rule = rule, stat = stat, variable = var, group = group,
                                          estimate = sprintf("%.15g", est), se = sprintf("%.15g", se))
}
for (rule in c("average", "adjust", "certainty", "remove")) {
  options(survey.lonely.psu = rule)
  des <- svydesign(ids = ~dnum, strata = ~strat, weights = ~pw, data = d, nest = TRUE)
  cat("\n== survey.lonely.psu =", rule, "==\n")
  m <- svymean(~api00, des); print(m)
  add(rule, "mean", "api00", "all", coef(m), SE(m))
  t <- svytotal(~enroll, des); print(t)
  add(rule, "total", "enroll", "all", coef(t), SE(t))
  bm <- svyby(~api00, ~stype, des, svymean); print(bm)
  for (i in seq_len(nrow(bm))) add(rule, "mean", "api00", bm$stype[i], bm$api00[i], bm$se[i])
  bt <- svyby(~enroll, ~stype, des, svytotal); print(bt)
  for (i in seq_len(nrow(bt))) add(rule, "total", "enroll", bt$stype[i], bt$enroll[i], bt$se[i])
}
out <- do.call(rbind, rows)
write.csv(out, "lonely_psu.csv", row.names = FALSE)
print(out)
