# Reference values for compare_rules (kassaki_eval/targeting/rules.py) under a stratified
# two-PSU-per-stratum design (issue 18, mutation pins). The rules are applied here from the
# module's documented definitions (lowest score first, the boundary score class split evenly,
# NaN never reached; the universal rule gives budget / H to every household; the poorest 10 %
# of people by the midpoint rule of the weighted distribution), and every estimate and its
# linearised standard error comes from R's survey package: svyratio for the person-weighted
# shares, svytotal for the totals.
# Run: Rscript tests/references/targeting/rules_design.R > tests/references/targeting/rules_design_output.csv
suppressPackageStartupMessages(library(survey))
d <- read.csv("tests/references/targeting/rules_design.csv")
cat("# R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")), "\n")
z <- 20; transfer <- 15; budget <- 750
y <- d$consumption_pc; m <- d$hh_size; w <- d$weight
n <- nrow(d); H <- sum(w); wp <- w * m
select <- function(s, w, k) {          # lowest score first, ties split evenly
  f <- rep(0, length(s)); ok <- !is.na(s)
  cls <- sort(unique(s[ok])); before <- 0
  for (v in cls) {
    i <- ok & s == v; wc <- sum(w[i])
    f[i] <- min(max((k - before) / wc, 0), 1); before <- before + wc
  }
  f
}
o <- order(y)                           # poorest 10 % of people: midpoint rule
cum <- cumsum(wp[o]) / sum(wp)
b10 <- rep(0, n); b10[o[(cum - wp[o] / (2 * sum(wp))) < 0.10]] <- 1
poor0 <- as.numeric(y < z); gap0 <- pmax(z - y, 0) / z
rules <- list(desil = d$desil, welfare = y, all = "universal")
out <- NULL
for (nm in names(rules)) {
  s <- rules[[nm]]
  if (identical(s, "universal")) { amount <- budget / H; prob <- rep(1, n) }
  else { amount <- transfer; prob <- select(s, w, budget / transfer) }
  y1 <- y + amount / m
  poor1 <- prob * (y1 < z) + (1 - prob) * poor0
  gap1 <- prob * pmax(z - y1, 0) / z + (1 - prob) * gap0
  x <- data.frame(d, m = m, d0 = m * (poor1 - poor0), d1 = m * (gap1 - gap0),
                  red = -(gap1 - gap0) * z * m, r10 = m * b10 * prob, b10m = m * b10,
                  h10 = b10 * prob, exc = m * poor0 * (1 - prob), poorm = m * poor0)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = x, nest = TRUE)
  rat <- function(num, den) { r <- svyratio(num, den, des); c(coef(r), SE(r)) }
  tot <- function(f) { t <- svytotal(f, des); c(coef(t), SE(t)) }
  f0 <- rat(~d0, ~m); f1 <- rat(~d1, ~m)
  g <- tot(~red) / budget
  res <- rbind(
    fgt0_change = f0, fgt1_change = f1,
    fgt0_change_per_billion = f0 * 1e9 / budget, fgt1_change_per_billion = f1 * 1e9 / budget,
    gap_reduction_per_rp = g, poorest10_reached = rat(~r10, ~b10m),
    poorest10_households_reached = tot(~h10), exclusion_error = rat(~exc, ~poorm),
    budget_spent = c(sum(w * prob) * amount / budget, 0))
  out <- rbind(out, data.frame(rule = nm, term = rownames(res), estimate = res[, 1],
                               std_error = res[, 2]))
}
cat(sprintf("# fgt0_before %.15g\n# fgt1_before %.15g\n", sum(wp * poor0) / sum(wp),
            sum(wp * gap0) / sum(wp)))
cat(sprintf("# prob desil %s\n", paste(format(select(d$desil, w, budget / transfer), digits = 15), collapse = " ")))
write.csv(format(out, digits = 15), row.names = FALSE, quote = FALSE)
