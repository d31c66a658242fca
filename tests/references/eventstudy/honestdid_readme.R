# betahat and sigma of HonestDiD's README example "Regressions with controls"
# (github.com/asheshrambachan/HonestDiD, README.md, commit 6813f02), for
# tests/impact/test_eventstudy.py::test_flci_smoothness_honestdid_readme.
#
# The README estimates them with fixest on the Medicaid-expansion data (ehec) and prints
# HonestDiD::createSensitivityResults(betahat, sigma, numPrePeriods = 5, numPostPeriods = 2,
# Mvec = seq(0, 0.05, by = 0.01)) (FLCI, Delta^SD, first post period):
#   M = 0: [0.0264, 0.0607]; 0.01: [0.0128, 0.0788]; 0.02: [0.00186, 0.0908];
#   0.03: [-0.00814, 0.101]; 0.04: [-0.0181, 0.111]; 0.05: [-0.0281, 0.121].
# The exact betahat and sigma it used are in the README's knitr cache, which the repository
# ships (README_cache/gfm/unnamed-chunk-8_f68e98bbac13a1932bc9db93b38f3a59.{rdb,rdx}); base R
# reads it with lazyLoad() (neither HonestDiD nor fixest needed).
#
# Run from the repository root with a checkout of HonestDiD (path as the first argument):
#   Rscript tests/references/eventstudy/honestdid_readme.R /path/to/HonestDiD > tests/references/eventstudy/honestdid_readme_output.txt
args <- commandArgs(trailingOnly = TRUE)
cache <- file.path(args[1], "README_cache", "gfm", "unnamed-chunk-8_f68e98bbac13a1932bc9db93b38f3a59")
e <- new.env()
invisible(lazyLoad(cache, envir = e))
options(digits = 17)
print(e$betahat)
print(e$sigma)
here <- "tests/references/eventstudy"
write.csv(data.frame(term = names(e$betahat), betahat = sprintf("%.17g", unname(e$betahat))),
          file.path(here, "honestdid_readme_betahat.csv"), row.names = FALSE, quote = FALSE)
s <- e$sigma
write.csv(format(s, digits = 17), file.path(here, "honestdid_readme_sigma.csv"), quote = FALSE)
