# reference_r2.R: R 4.2's R² for least squares without an intercept (uncentred: 1 - RSS / sum(y^2))
# and with one (centred), on test/data/longley.csv. Values pasted into test/t/014_r2_definitions.sql.
d <- read.csv("test/data/longley.csv")
f0 <- lm(employed ~ 0 + gnp + unemployed + armed_forces + population, data = d)
f1 <- lm(employed ~ gnp + unemployed + armed_forces + population, data = d)
cat(sprintf("no intercept r2 %.17g\nintercept r2 %.17g\n", summary(f0)$r.squared, summary(f1)$r.squared))
