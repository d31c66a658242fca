# Reference inputs and outputs for kassaki_eval.impact.honestdid.relative_magnitudes_cs
# (HonestDiD relative magnitudes, C-LF), from the README of the authors' R package
# HonestDiD 0.2.8 (github.com/asheshrambachan/HonestDiD, commit 6813f02).
#
# The README was knitted with cache = TRUE and the repository ships the cache
# (README_cache/gfm/*.rdb/.rdx). Base R's lazyLoad() reads the exact objects the package was
# given and the results it returned -- neither HonestDiD nor fixest/did is needed (HonestDiD
# itself could not be installed here: CVXR, lpSolveAPI, TruncatedNormal and latex2exp have no
# Debian package).
#
#   sunab_*      "Sun and Abraham": fixest sunab on ehec, beta_vcv$beta / $sigma (10 pre,
#                6 post), createSensitivityResults_relativeMagnitudes(..., Mbarvec =
#                seq(0.5, 2, 0.5), gridPoints = 100) -> sensitivity_results (chunk 10).
#   cs_*         "Callaway and Sant'Anna": did::aggte(dynamic, min_e = -5, max_e = 5) with a
#                universal base period; sigma = IF'IF / n^2 as the README's honest_did.AGGTEobj,
#                the e = -1 reference dropped (4 pre, 6 post), e = 0, gridPoints = 100
#                -> sensitivity_results$robust_ci (chunk 12).
#   cs_2023      the same call, knitted in 2023 (commit 1442cce; chunk 9, still shipped): same
#                es, other confidence sets -- that run used HonestDiD's master grid (+/- 20 sd
#                around 0); the 2024 runs (chunks 4, 7, 10, 12) used the grid of commit 888de5e
#                ("Fixed grid to match Stata's improvement": l'betahat +/- (Mbar sum_t t|l_t|
#                max|pre diff| + 20 sd)), branch 1period_issue, not on master.
#   ehec_*       the first example (TWFE on ehec, 5 pre, 2 post, gridPoints = 1000): only the
#                results are cached (chunk 4: first post period, printed in the README; chunk
#                7: l_vec = c(0.5, 0.5)), not betahat/sigma; they are written for reference.
#
# Run from the repository root with a HonestDiD checkout as the first argument:
#   Rscript tests/references/honestdid/honestdid_rm_refs.R /path/to/HonestDiD > tests/references/honestdid/honestdid_rm_output.txt
args <- commandArgs(trailingOnly = TRUE)
ld <- function(ch) {
  f <- Sys.glob(file.path(args[1], "README_cache", "gfm", sprintf("unnamed-chunk-%s_*.rdb", ch)))
  stopifnot(length(f) == 1)
  e <- new.env(); invisible(lazyLoad(sub("\\.rdb$", "", f), envir = e)); e
}
here <- "tests/references/honestdid"
options(digits = 17, width = 160)
wr <- function(x, name) write.csv(x, file.path(here, name), row.names = FALSE, quote = FALSE)
fmt <- function(v) sprintf("%.17g", v)
res <- function(r, case) data.frame(case = case, Mbar = r$Mbar, lb = fmt(r$lb), ub = fmt(r$ub), method = r$method)

e10 <- ld(10)
b <- e10$beta_vcv$beta; s <- e10$beta_vcv$sigma
cat("== sunab: cohorts\n"); print(e10$beta_vcv$cohorts); print(e10$extra)
wr(data.frame(event_time = e10$beta_vcv$cohorts, betahat = fmt(b)), "sunab_betahat.csv")
wr(as.data.frame(matrix(fmt(s), nrow(s))), "sunab_sigma.csv")
r_sunab <- res(as.data.frame(e10$sensitivity_results), "sunab")
print(r_sunab)

e12 <- ld(12)
es <- e12$es
inf <- es$inf.function$dynamic.inf.func.e
n <- nrow(inf); V <- t(inf) %*% inf / n / n
ref <- which(es$egt == -1)
cat("== cs: egt, n\n"); print(es$egt); print(n)
wr(data.frame(event_time = es$egt[-ref], betahat = fmt(es$att.egt[-ref])), "cs_betahat.csv")
Vr <- V[-ref, -ref]
wr(as.data.frame(matrix(fmt(Vr), nrow(Vr))), "cs_sigma.csv")
r_cs <- res(as.data.frame(e12$sensitivity_results$robust_ci), "cs")
print(r_cs); print(as.data.frame(e12$sensitivity_results$orig_ci))

e9 <- ld(9)
stopifnot(isTRUE(all.equal(e9$es$inf.function, es$inf.function)), isTRUE(all.equal(e9$es$att.egt, es$att.egt)))
r_cs23 <- res(as.data.frame(e9$sensitivity_results$robust_ci), "cs_2023")
print(r_cs23)

e4 <- ld(4); e7 <- ld(7)
r_e1 <- res(as.data.frame(e4$delta_rm_results), "ehec_first")
r_e2 <- res(as.data.frame(e7$delta_rm_results_avg), "ehec_average")
print(r_e1); print(r_e2)
wr(rbind(r_sunab, r_cs, r_cs23, r_e1, r_e2), "honestdid_rm_results.csv")
