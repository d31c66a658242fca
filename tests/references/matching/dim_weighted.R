# Reference values for difference_in_means with weights and every standard error (issue 18,
# mutation pins): R lm() + sandwich on the NSW Dehejia-Wahba sample (nsw_dw.csv) with an
# arbitrary deterministic weight w = 1 + (age mod 3) and cluster = educ.
# Run: Rscript tests/references/matching/dim_weighted.R > tests/references/matching/dim_weighted_output.txt
suppressPackageStartupMessages(library(sandwich))
d <- read.csv("tests/references/matching/nsw_dw.csv")
d$w <- 1 + (d$age %% 3)
cat("R", R.version$major, R.version$minor, "sandwich", as.character(packageVersion("sandwich")), "\n")
f <- lm(re78 ~ treat, data = d, weights = w)
se <- function(V) sqrt(V[2, 2])
out <- c(
  estimate = unname(coef(f)[2]),
  se_classical = se(vcov(f)),
  se_HC2 = se(vcovHC(f, type = "HC2")),
  se_HC1 = se(vcovHC(f, type = "HC1")),
  se_cluster = se(vcovCL(f, cluster = ~educ, type = "HC1")),
  mean_treated = weighted.mean(d$re78[d$treat == 1], d$w[d$treat == 1]),
  mean_control = weighted.mean(d$re78[d$treat == 0], d$w[d$treat == 0]))
f0 <- lm(re78 ~ treat, data = d)
out <- c(out, se_cluster_unweighted = se(vcovCL(f0, cluster = ~educ, type = "HC1")))
for (nm in names(out)) cat(sprintf("%s %.15g\n", nm, out[[nm]]))
