# Reference covariances for kassaki_eval.inference.cluster_vcov (issue 18, mutation testing).
# R sandwich: vcovHC(type = "HC1") = n/(n-k) * HC0, and vcovCL(type = "HC1", cadjust = TRUE)
# = G/(G-1) * (n-1)/(n-k) * CR0 -- the factors cluster_vcov documents. Weighted fits (lm weights)
# and the 8-cluster grouping of wild_data.csv. Also p.adjust(method = "BH").
# Run from this folder: Rscript sandwich_refs.R > sandwich_refs_output.txt
suppressPackageStartupMessages(library(sandwich))
d <- read.csv("wild_data.csv")
w <- 1 + (seq_len(nrow(d)) %% 5) / 2          # deterministic analytic weights 1, 1.5, ..., 3
out <- list()
add <- function(case, V) {
  out[[case]] <<- data.frame(case = case, i = rep(1:3, 3), j = rep(1:3, each = 3),
                             value = as.vector(V))
}
ols <- lm(y ~ x1 + d, data = d)
wfit <- lm(y ~ x1 + d, data = d, weights = w)
add("ols_hc1", vcovHC(ols, type = "HC1"))
add("ols_hc0", vcovHC(ols, type = "HC0"))
add("wls_hc1", vcovHC(wfit, type = "HC1"))
add("wls_cl_g8_hc1", vcovCL(wfit, cluster = ~g8, type = "HC1", cadjust = TRUE))
add("ols_cl_g8_hc0_nocadjust", vcovCL(ols, cluster = ~g8, type = "HC0", cadjust = FALSE))
res <- do.call(rbind, out)
write.csv(res, "sandwich_refs.csv", row.names = FALSE)
p <- c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.9, 0.6)
bh <- p.adjust(p, method = "BH")
write.csv(data.frame(p = p, bh = bh), "bh_refs.csv", row.names = FALSE)
print(res, digits = 15)
print(data.frame(p = p, bh = bh), digits = 15)
cat("R", R.version$major, R.version$minor, "sandwich", as.character(packageVersion("sandwich")), "\n")
