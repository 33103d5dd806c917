# reference_factors.R: the data set and R's lm() references of test/t/0NN_reference_coding.sql.
#
# Writes test/data/factors.csv (id, x, g, b, y, a noisy boolean label high, and R's fitted values of lm(y ~ x + factor(g) + b))
# and test/data/reference_factors.json (coefficients of four fits). Run from the repository root:
#   Rscript test/scripts/reference_factors.R
# The tests only read the committed files; R is not needed to run them.
set.seed(20240517)
n <- 60
x <- round(rnorm(n, 10, 3), 6)
g <- sample(c("north", "east", "south", "west"), n, replace = TRUE)
b <- runif(n) < 0.4
eff <- c(north = 0, east = 1.5, south = -2.25, west = 0.75)
y <- round(3 + 0.8 * x + eff[g] - 1.2 * b + rnorm(n, 0, 0.5), 6)
d <- data.frame(id = seq_len(n), x = x, g = g, b = b, y = y, stringsAsFactors = FALSE)

# factor levels in byte order (C collation), as modelmgr stores categories
lev <- sort(unique(d$g), method = "radix")
d$gf <- factor(d$g, levels = lev)

fit <- lm(y ~ x + gf + b, data = d)                      # treatment contrasts: first level dropped
d$gs <- relevel(d$gf, ref = "south")
fit_ref <- lm(y ~ x + gs + b, data = d)
fit_noint <- lm(y ~ 0 + x + gf + b, data = d)            # no intercept: first factor keeps every level
d$high <- d$y + rnorm(n, 0, 2) > 10                      # a noisy label for an unpenalised logistic fit (glm, binomial)
fit_glm <- glm(high ~ x + gf + b, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))

fmt <- function(v) trimws(formatC(v, digits = 17, format = "g"))
# the data have six decimals: 15 significant digits print them exactly
fmt15 <- function(v) trimws(formatC(v, digits = 15, format = "g"))
out <- data.frame(id = d$id, x = fmt15(d$x), g = d$g, b = ifelse(d$b, "true", "false"), y = fmt15(d$y), high = ifelse(d$high, "true", "false"),
                  fitted = fmt(unname(fitted(fit))))
write.csv(out, "test/data/factors.csv", row.names = FALSE, quote = FALSE)

js <- function(f) {
  cf <- coef(f)
  paste0("{", paste0("\"", names(cf), "\": ", fmt(unname(cf)), collapse = ", "), "}")
}
writeLines(c("{",
             paste0("  \"formula\": \"lm(y ~ x + factor(g) + b)\", \"levels\": [",
                    paste0("\"", lev, "\"", collapse = ", "), "],"),
             paste0("  \"lm\": ", js(fit), ","),
             paste0("  \"lm_reference_south\": ", js(fit_ref), ","),
             paste0("  \"lm_no_intercept\": ", js(fit_noint), ","),
             paste0("  \"glm_binomial_high\": ", js(fit_glm), ","),
             paste0("  \"r_version\": \"", R.version.string, "\""),
             "}"), "test/data/reference_factors.json")
