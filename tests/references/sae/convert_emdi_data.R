# Converts the .RData test fixtures of R emdi to CSV so the Python tests need no R.
# Source: https://github.com/SoerenPannier/emdi at commit 678fab1e395111f7513122239fa13780aa683228
#   tests/testthat/FH/milk.RData, FH/eusilcA_smpAgg.RData, FH/eusilcA_popAgg.RData (15 domains),
#   tests/testthat/EBP/incomedata.RData, EBP/Xoutsamp_AuxVar.RData,
#   data/eusilcA_smpAgg.rda, data/eusilcA_popAgg.rda (94 domains), data/eusilcA_smp.rda.
# Run from a directory holding those files:  Rscript convert_emdi_data.R <outdir>
args <- commandArgs(trailingOnly = TRUE); out <- if (length(args)) args[1] else "."
ld <- function(f) { e <- new.env(); load(f, envir = e); get(ls(e)[1], e) }
w <- function(x, f) write.csv(x, file.path(out, f), row.names = FALSE)
w(ld("milk.RData"), "milk.csv")
w(ld("eusilcA_smpAgg.RData"), "eusilcA_smpAgg_15.csv")
w(ld("eusilcA_popAgg.RData"), "eusilcA_popAgg_15.csv")
w(ld("pkg_eusilcA_smpAgg.rda"), "eusilcA_smpAgg.csv")
w(ld("pkg_eusilcA_popAgg.rda"), "eusilcA_popAgg.csv")
w(ld("pkg_eusilcA_smp.rda"), "eusilcA_smp.csv")
inc <- ld("incomedata.RData"); w(inc, "incomedata.csv")
# the population file has 713,301 rows but the EBP fixture model uses only educ1: keep counts
X <- ld("Xoutsamp_AuxVar.RData")
cnt <- as.data.frame(table(provlab = X$provlab, educ1 = X$educ1))
cnt <- cnt[cnt$Freq > 0, ]
cnt <- cnt[order(match(cnt$provlab, unique(X$provlab)), cnt$educ1), ]
names(cnt)[3] <- "n"
w(cnt, "Xoutsamp_educ1_counts.csv")
cat("population domain order (unique(provlab)):", paste(unique(X$provlab)[1:5], collapse=", "), "...\n")
cat("rows:", nrow(X), " domains:", length(unique(X$provlab)), "\n")
