# reference_rankstats.R: exports R's mtcars and airquality (datasets, R 4.2.2) to test/data and
# prints R's Spearman correlations and pairwise-complete / complete-case correlation matrices
# on them, for test/t/057_stat_aggregates.sql. Run from the repository root:
#   Rscript test/scripts/reference_rankstats.R > test/data/reference_rankstats_R.txt
mt <- datasets::mtcars
write.csv(data.frame(id = seq_len(nrow(mt)) - 1, name = rownames(mt), mt, row.names = NULL),
          "test/data/mtcars.csv", row.names = FALSE, quote = TRUE)
aq <- datasets::airquality
write.csv(data.frame(id = seq_len(nrow(aq)) - 1, aq), "test/data/airquality.csv", row.names = FALSE, na = "")
f <- function(x) sprintf("%.17g", x)
cat("# R", R.version.string, "\n")
for (p in list(c("mpg", "hp"), c("mpg", "cyl"), c("cyl", "gear"), c("disp", "wt"), c("qsec", "carb")))
  cat("spearman", p[1], p[2], f(cor(mt[[p[1]]], mt[[p[2]]], method = "spearman")), "\n")
cat("spearman_na Ozone Solar.R", f(cor(aq$Ozone, aq$Solar.R, method = "spearman", use = "complete.obs")), "\n")
pw <- cor(aq, use = "pairwise.complete.obs")
cc <- cor(aq, use = "complete.obs")
cat("pairwise", paste(f(as.vector(t(pw))), collapse = ","), "\n")
cat("complete", paste(f(as.vector(t(cc))), collapse = ","), "\n")
