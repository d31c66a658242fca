# Estimator options of issue 12, R survey 4.1.1 as the reference:
#  1. intervals of svymean/svytotal with normal (R's default) or t(degf) critical values;
#  2. na.rm = TRUE with the design kept (svymean, svyby) when the variable has missing values,
#     inside and outside a domain;
#  3. a poverty headcount with a household exactly on the line, strict (y < z) and weak (y <= z).
# Run: Rscript make_options_refs.R > options.out   (R 4.2.2, survey 4.1.1)
# Writes options.csv (15 significant digits) and api_missing.csv (apistrat with missing api99).
suppressPackageStartupMessages(library(survey))
cat("R ", R.version$major, ".", R.version$minor, " survey ", as.character(packageVersion("survey")), "\n", sep = "")
data(api)
rows <- list()
add <- function(case, term, est, se, lo = NA, hi = NA) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, term = term, estimate = sprintf("%.15g", est),
    se = sprintf("%.15g", se), conf_low = sprintf("%.15g", lo), conf_high = sprintf("%.15g", hi))
}
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
# 1. normal vs t(degf) intervals
m <- svymean(~api00, dstrat); t <- svytotal(~enroll, dstrat)
for (nm in c("normal", "t")) {
  dfv <- if (nm == "normal") Inf else degf(dstrat)
  cm <- confint(m, df = dfv); ct <- confint(t, df = dfv)
  cat("\n== intervals,", nm, "df =", dfv, "==\n"); print(cm); print(ct)
  add(paste0("ci_", nm), "mean_api00", coef(m), SE(m), cm[1], cm[2])
  add(paste0("ci_", nm), "total_enroll", coef(t), SE(t), ct[1], ct[2])
}
# 2. missing values: api99 set to NA for the first 3 high schools (H) and 2 elementary (E)
miss <- apistrat[, c("snum", "stype", "api00", "api99", "pw", "fpc")]
miss$api99[which(miss$stype == "H")[1:3]] <- NA
miss$api99[which(miss$stype == "E")[1:2]] <- NA
write.csv(miss, "api_missing.csv", row.names = FALSE, na = "")
dm <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = miss, fpc = ~fpc)
m2 <- svymean(~api99, dm, na.rm = TRUE); print(m2)
add("na_rm", "mean_api99", coef(m2), SE(m2))
b2 <- svyby(~api99, ~stype, dm, svymean, na.rm = TRUE); print(b2)
for (i in seq_len(nrow(b2))) add("na_rm", paste0("mean_api99[", b2$stype[i], "]"), b2$api99[i], b2$se[i])
# the domain M has no missing value: na.rm does not matter there
mM <- svymean(~api99, subset(dm, stype == "M")); print(mM)
add("na_rm", "mean_api99[M] without na.rm", coef(mM), SE(mM))
t2 <- svytotal(~api99, dm, na.rm = TRUE); print(t2)
add("na_rm", "total_api99", coef(t2), SE(t2))
# 3. strict / weak line: z = 652, and one school set exactly on it
line <- 652
onl <- apistrat[, c("snum", "stype", "api00", "pw", "fpc")]
onl$api00[which(onl$stype == "E")[1]] <- line
write.csv(onl, "api_on_line.csv", row.names = FALSE)
don <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = onl, fpc = ~fpc)
cat("\nschools exactly on the line:", sum(onl$api00 == line), "\n")
for (rule in c("strict", "weak")) {
  p0 <- if (rule == "strict") svymean(~I(as.numeric(api00 < line)), don) else svymean(~I(as.numeric(api00 <= line)), don)
  p1 <- svymean(~I(pmax(line - api00, 0) / line), don)
  print(p0); print(p1)
  add(paste0("line_", rule), "p0", coef(p0), SE(p0))
  add(paste0("line_", rule), "p1", coef(p1), SE(p1))
  by0 <- svyby(if (rule == "strict") ~I(as.numeric(api00 < line)) else ~I(as.numeric(api00 <= line)), ~stype, don, svymean)
  print(by0)
  for (i in seq_len(nrow(by0))) add(paste0("line_", rule), paste0("p0[", by0$stype[i], "]"), by0[i, 2], by0[i, 3])
}
out <- do.call(rbind, rows)
write.csv(out, "options.csv", row.names = FALSE)
print(out)
