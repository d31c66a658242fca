# Reference values for tests/impact/test_matching.py: MatchIt's nearest-neighbour matching on
# the propensity score (probability scale; MatchIt's default distance = "glm"), greedy, in
# m.order, on MatchIt's own `lalonde` data.
#
# Run from the repository root (R with MatchIt and sandwich; the tests never need R):
#   Rscript tests/references/matching/matchit_lalonde.R > tests/references/matching/matchit_lalonde_output.txt
#
# MatchIt 4.5.1 (the Debian r-cran-matchit installed here) has a broken fast path for a
# propensity-score distance (introduced in 4.5.1, see MatchIt's NEWS; upstream issue #163
# "Caliper not working as intended on versions 4.5.1 - 4.5.3"): on lalonde its default call
# ignores any caliper and pairs treated units with controls that are NOT the nearest free
# ones (6 of 185 under m.order = "largest", 47 under "data", 127 under "smallest"; with
# replace = TRUE 111 of 185 are not the nearest control at all). Section A below prints that
# default call for the record. Section B gives MatchIt the SAME distance, |ps_i - ps_j| with
# ps from glm(), as a treated x control matrix, which sends it through its general
# nearest-neighbour code (checked below: every pick is the nearest free control, and a
# caliper is applied). m.order is then set by ordering the treated rows of the data
# ("largest" = decreasing ps, "smallest" = increasing, "data" = as given) with
# m.order = "data"; controls keep their order, so ties go to the first in data order.
#
# Writes, next to this script:
#   lalonde_matchit.csv   MatchIt's `lalonde` (614 rows: 185 NSW treated, 429 PSID controls;
#                         Dehejia & Wahba 1999), row names in column `id`
#   matchit_distance.csv  MatchIt's propensity score (glm logit, probability scale)
#   matchit_matches.csv   spec, treated id, slot (1..ratio), matched control id ("" = none)
#   matchit_att.csv       per spec: ATT = coef of lm(re78 ~ treat, weights) on match.data()
#                         (MatchIt's documented effect estimate after 1:k matching), its
#                         classical lm SE, and the pair-clustered SE (sandwich::vcovCL,
#                         cluster = subclass, as MatchIt's "Estimating Effects" vignette)
suppressPackageStartupMessages({library(MatchIt); library(sandwich)})
here <- "tests/references/matching"
cat("MatchIt", as.character(packageVersion("MatchIt")), "| sandwich",
    as.character(packageVersion("sandwich")), "|", R.version.string, "\n")
data("lalonde", package = "MatchIt")
lalonde$id <- rownames(lalonde)
write.csv(lalonde[, c("id", setdiff(names(lalonde), "id"))], file.path(here, "lalonde_matchit.csv"),
          row.names = FALSE)
f <- treat ~ age + educ + race + married + nodegree + re74 + re75

cat("\n######## A. MatchIt's default call (fast path; see header)\n")
m0 <- matchit(f, data = lalonde)
print(m0)
ps <- m0$distance; names(ps) <- lalonde$id
write.csv(data.frame(id = lalonde$id, distance = unname(ps)), file.path(here, "matchit_distance.csv"),
          row.names = FALSE)
nonnearest <- function(mm, D) {
  free <- colnames(D); bad <- 0
  for (i in rownames(mm)) {
    if (is.na(mm[i, 1])) next
    if (D[i, mm[i, 1]] > min(D[i, free]) + 1e-12) bad <- bad + 1
    free <- setdiff(free, mm[i, 1])
  }
  bad
}
tr <- lalonde$id[lalonde$treat == 1]; co <- lalonde$id[lalonde$treat == 0]
D <- abs(outer(ps[tr], ps[co], "-")); dimnames(D) <- list(tr, co)
for (o in c("largest", "smallest", "data")) {
  m <- matchit(f, data = lalonde, m.order = o)
  ord <- switch(o, largest = order(-ps[tr]), smallest = order(ps[tr]), data = seq_along(tr))
  cat(sprintf("default fast path, m.order = %-8s: %3d of 185 picks are not the nearest free control\n",
              o, nonnearest(m$match.matrix[tr[ord], , drop = FALSE], D)))
}
m <- matchit(f, data = lalonde, caliper = 0.02)
cat("default fast path, caliper = 0.02 SD:", sum(is.na(m$match.matrix[, 1])), "treated unmatched\n")

cat("\n######## B. the same distance as a matrix (MatchIt's general nearest-neighbour code)\n")
specs <- list(
  largest  = list(order = "largest"),
  smallest = list(order = "smallest"),
  data     = list(order = "data"),
  ratio2   = list(order = "largest", ratio = 2),
  caliper  = list(order = "largest", caliper = 0.1),   # 0.1 SD of ps (std.caliper: sd over all units)
  replace  = list(order = "largest", replace = TRUE)
)
matches <- list(); atts <- list()
for (nm in names(specs)) {
  s <- specs[[nm]]
  ord <- switch(s$order, largest = order(-ps[tr]), smallest = order(ps[tr]), data = seq_along(tr))
  dat <- rbind(lalonde[match(tr[ord], lalonde$id), ], lalonde[lalonde$treat == 0, ])
  args <- list(formula = f, data = dat, distance = D[tr[ord], , drop = FALSE], m.order = "data",
               ratio = if (is.null(s$ratio)) 1 else s$ratio,
               replace = isTRUE(s$replace))
  if (!is.null(s$caliper)) { args$caliper <- s$caliper * sd(ps); args$std.caliper <- FALSE }
  m <- do.call(matchit, args)
  mm <- m$match.matrix
  cat("\n####", nm, "\n"); print(m)
  cat("picks that are not the nearest free control:",
      if (isTRUE(s$replace)) sum(D[cbind(rownames(mm), mm[, 1])] > apply(D[rownames(mm), ], 1, min) + 1e-12)
      else nonnearest(mm[, 1, drop = FALSE], D[rownames(mm), ]), "\n")
  for (j in seq_len(ncol(mm))) {
    matches[[length(matches) + 1]] <- data.frame(spec = nm, treated = rownames(mm), slot = j,
                                                 control = ifelse(is.na(mm[, j]), "", mm[, j]))
  }
  md <- if (isTRUE(s$replace)) get_matches(m, id = "row_id") else match.data(m)
  fit <- lm(re78 ~ treat, data = md, weights = weights)
  cl <- if (isTRUE(s$replace)) ~subclass + row_id else ~subclass
  atts[[nm]] <- data.frame(
    spec = nm, att = unname(coef(fit)["treat"]),
    se_classical = unname(sqrt(diag(vcov(fit)))["treat"]),
    se_pair_cluster = unname(sqrt(diag(vcovCL(fit, cluster = cl)))["treat"]),
    n_matched_treated = sum(md$treat == 1 & md$weights > 0),
    n_matched_control = length(unique(md$id[md$treat == 0])))
}
write.csv(do.call(rbind, matches), file.path(here, "matchit_matches.csv"), row.names = FALSE)
write.csv(do.call(rbind, atts), file.path(here, "matchit_att.csv"), row.names = FALSE)
options(digits = 15, width = 120)
cat("\n#### ATT table\n"); print(do.call(rbind, atts), row.names = FALSE)

cat("\n######## C. difference in means on the NSW experimental sample (nsw_dw.csv)\n")
nsw <- read.csv(file.path(here, "nsw_dw.csv"))
fit <- lm(re78 ~ treat, data = nsw)
print(data.frame(estimate = coef(fit)["treat"], se_classical = sqrt(diag(vcov(fit)))["treat"],
                 se_HC2 = sqrt(diag(vcovHC(fit, type = "HC2")))["treat"],
                 se_HC1 = sqrt(diag(vcovHC(fit, type = "HC1")))["treat"]), row.names = FALSE)
