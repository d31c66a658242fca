# Reference fits of the nested-error (random-intercept) model with lme4 (REML), for
# kassaki_eval.poverty.sae.ebp's own REML solver. Data: R emdi's public data (see SOURCE.md).
# Run from this folder: Rscript lme4_nested_error.R > lme4_nested_error.txt
suppressPackageStartupMessages(library(lme4))
cat("lme4", as.character(packageVersion("lme4")), "\n")
show <- function(tag, m) {
  vc <- as.data.frame(VarCorr(m))
  cat(sprintf("%s sigma2_u %.12g\n", tag, vc$vcov[1]))
  cat(sprintf("%s sigma2_e %.12g\n", tag, vc$vcov[2]))
  b <- fixef(m)
  for (k in names(b)) cat(sprintf("%s beta[%s] %.12g\n", tag, k, b[[k]]))
  cat(sprintf("%s REMLcrit %.12g\n", tag, REMLcrit(m)))
  re <- ranef(m)[[1]]
  for (k in head(rownames(re), 3)) cat(sprintf("%s ranef[%s] %.12g\n", tag, k, re[k, 1]))
}
ctl <- lmerControl(optimizer = "nloptwrap",
                   optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, maxeval = 10000))
# 1. eusilcA sample (1945 households, 70 districts): log income on household covariates
s <- read.csv("emdi/eusilcA_smp.csv")
m1 <- lmer(log(eqIncome) ~ gender + eqsize + cash + self_empl + unempl_ben + (1 | district),
           data = s, REML = TRUE, control = ctl)
show("eusilcA", m1)
# 2. incomedata (54 persons, 5 provinces), Box-Cox at emdi's REML lambda (ebp_optpar_bc.csv)
inc <- read.csv("emdi/incomedata.csv")
lam <- read.csv("emdi/ebp_optpar_bc.csv")$Optpar
inc$y <- (inc$income^lam - 1) / lam
m2 <- lmer(y ~ educ1 + (1 | provlab), data = inc, REML = TRUE, control = ctl)
show("incomedata_bc", m2)
