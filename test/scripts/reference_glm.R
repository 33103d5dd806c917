# reference_glm.R: exports MASS::Pima.tr and datasets::longley to test/data/ as CSV and writes
# what R's glm(family = binomial) computes on Pima.tr (unpenalised logistic regression) to
# test/data/reference_glm.json: coefficients, summary() standard errors, z values and p-values,
# logLik, AIC, BIC, deviance and null deviance. Run from the repository root:
#     Rscript test/scripts/reference_glm.R
# Only base R, datasets and MASS (a recommended package shipped with R) are needed.
suppressPackageStartupMessages(library(MASS))

pima <- MASS::Pima.tr
out <- data.frame(id = seq_len(nrow(pima)) - 1L, pima[, c("npreg", "glu", "bp", "skin", "bmi", "ped", "age")],
                  type = as.character(pima$type))
write.csv(out, "test/data/pima_tr.csv", row.names = FALSE, quote = FALSE)

lg <- datasets::longley
names(lg) <- c("gnp_deflator", "gnp", "unemployed", "armed_forces", "population", "year", "employed")
write.csv(data.frame(id = seq_len(nrow(lg)) - 1L, lg), "test/data/longley.csv", row.names = FALSE, quote = FALSE)

fit <- glm(type ~ npreg + glu + bp + skin + bmi + ped + age, data = pima, family = binomial,
           control = glm.control(epsilon = 1e-14, maxit = 100))
s <- summary(fit)$coefficients
ll <- logLik(fit)
null <- glm(type ~ 1, data = pima, family = binomial)

num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ", "), "]")
json <- c("{",
  sprintf('  "data": "MASS::Pima.tr, %d rows; type ~ npreg + glu + bp + skin + bmi + ped + age; class 1 = Yes",', nrow(pima)),
  sprintf('  "r_version": "%s",', R.version.string),
  sprintf('  "terms": [%s],', paste0('"', rownames(s), '"', collapse = ", ")),
  sprintf('  "coefficients": %s,', num(s[, 1])),
  sprintf('  "std_errors": %s,', num(s[, 2])),
  sprintf('  "z_values": %s,', num(s[, 3])),
  sprintf('  "p_values": %s,', num(s[, 4])),
  sprintf('  "n": %d,', nrow(pima)),
  sprintf('  "df_model": %d,', length(coef(fit)) - 1L),
  sprintf('  "df_residual": %d,', fit$df.residual),
  sprintf('  "log_likelihood": %.17g,', as.numeric(ll)),
  sprintf('  "aic": %.17g,', AIC(fit)),
  sprintf('  "bic": %.17g,', BIC(fit)),
  sprintf('  "deviance": %.17g,', deviance(fit)),
  sprintf('  "null_deviance": %.17g,', fit$null.deviance),
  sprintf('  "null_log_likelihood": %.17g', as.numeric(logLik(null))),
  "}")
writeLines(json, "test/data/reference_glm.json")
print(summary(fit))
cat("logLik", format(as.numeric(ll), digits = 17), "AIC", format(AIC(fit), digits = 17),
    "BIC", format(BIC(fit), digits = 17), "\n")
