# Reference values for GE(epsilon) and Atkinson(epsilon) with design-based SEs (issue 18).
# Run: Rscript make_ge_refs.R > ge_refs.out   (R 4.x, survey 4.1.1; no convey needed)
# Writes: ge_refs.csv (15 significant digits).
#
# Both indices are smooth functions of weighted totals (Biewen & Jenkins 2006), so R survey's
# svycontrast() -- the delta method with R's symbolic deriv() -- gives their linearised SE from
# svytotal() of the variables below, independently of kassaki_eval's hand-written gradients:
#   N = sum w, U1 = sum w y, Ua = sum w y^a, T0 = sum w log y, T1 = sum w y log y
#   GE(a)  = (N^(a-1) U1^(-a) Ua - 1) / (a (a - 1))      a not 0, 1
#   GE(0)  = -T0 / N + log(U1 / N)                      (mean log deviation)
#   GE(1)  = T1 / U1 - log(U1 / N)                      (Theil)
#   A(1)   = 1 - N / U1 exp(T0 / N)
#   A(e)   = 1 - N^(-e/(1-e)) V^(1/(1-e)) / U1,  V = sum w y^(1-e)
# Domains are subset() designs (domain estimation, as svyby): on apiclus2 the parity of the
# school number, snum %% 2 == 0 -> "even" else "odd" (domains that cut across districts).
# CI: confint(df = degf(design)).
suppressPackageStartupMessages(library(survey))
cat("R ", R.version$major, ".", R.version$minor, " survey ", as.character(packageVersion("survey")),
    "\n", sep = "")
strat <- read.csv("../survey/apistrat.csv")
clus2 <- read.csv("../survey/apiclus2.csv")
clus2$par <- ifelse(clus2$snum %% 2 == 0, "even", "odd")
designs <- list(
  # stratified, no PSU, no fpc: SurveyDesign(apistrat, weight="pw", strata="stype")
  apistrat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat),
  # one-stage clusters with replacement: SurveyDesign(apiclus2, weight="pw", psu="dnum")
  apiclus2 = svydesign(id = ~dnum, weights = ~pw, data = clus2),
  # persons = weight x enroll (size="enroll"), stratified
  apistrat_size = svydesign(id = ~1, strata = ~stype, weights = ~I(pw * enroll), data = strat)
)
ge_expr <- function(a) {
  if (a == 0) return(quote(-T0 / N + log(U1 / N)))
  if (a == 1) return(quote(T1 / U1 - log(U1 / N)))
  substitute((N^(A - 1) * U1^(-A) * Ua - 1) / (A * (A - 1)), list(A = a))
}
atk_expr <- function(e) {
  if (e == 1) return(quote(1 - N / U1 * exp(T0 / N)))
  substitute(1 - N^(AA) * Ua^(BB) / U1, list(AA = -e / (1 - e), BB = 1 / (1 - e)))
}
rows <- list()
one <- function(des, data, domain, measure, par, expr, power) {
  des <- update(des, one = 1, y = api00, ly = log(api00), yly = api00 * log(api00),
                ya = api00^power)
  tt <- svytotal(~one + y + ya + ly + yly, des)
  names(tt) <- c("N", "U1", "Ua", "T0", "T1")
  r <- svycontrast(tt, expr)
  ci <- confint(r, df = degf(des))
  cat(sprintf("%-14s %-4s %-9s %5g  est %.15g  se %.15g  ci [%.15g, %.15g]  df %d\n", data,
              domain, measure, par, coef(r), SE(r), ci[1], ci[2], degf(des)))
  rows[[length(rows) + 1]] <<- data.frame(
    data = data, domain = domain, measure = measure, parameter = par,
    estimate = sprintf("%.15g", coef(r)), se = sprintf("%.15g", SE(r)),
    conf_low = sprintf("%.15g", ci[1]), conf_high = sprintf("%.15g", ci[2]), df = degf(des))
}
for (data in names(designs)) {
  des <- designs[[data]]
  doms <- if (data == "apiclus2") c("all", "even", "odd") else "all"
  for (dm in doms) {
    dd <- if (dm == "all") des else subset(des, par == dm)
    for (a in c(0, 1, 2, 0.5, -1)) one(dd, data, dm, "ge", a, ge_expr(a), a)
    for (e in c(1, 0.5, 2)) one(dd, data, dm, "atkinson", e, atk_expr(e), 1 - e)
  }
}
write.csv(do.call(rbind, rows), "ge_refs.csv", row.names = FALSE, quote = FALSE)
