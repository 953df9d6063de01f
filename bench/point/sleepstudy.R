# Exports lme4's sleepstudy data and the maximum-likelihood fit of
#   Reaction ~ Days + (Days | Subject), REML = FALSE
# as the reference for tests/test_point.c (sleepstudy_lmm).
# Run: Rscript bench/point/sleepstudy.R   (from the repository root; needs r-cran-lme4)
suppressMessages(library(lme4))
d <- sleepstudy
d$subject <- as.integer(factor(d$Subject))
write.csv(data.frame(Reaction = sprintf("%.4f", d$Reaction), Days = d$Days, subject = d$subject),
          "bench/point/sleepstudy.csv", row.names = FALSE, quote = FALSE)
# the reference is fitted to the CSV as written (Reaction to 4 decimals), as vi reads it
e <- read.csv("bench/point/sleepstudy.csv")
e$Subject <- factor(e$subject)
fit <- lmer(Reaction ~ Days + (Days | Subject), data = e, REML = FALSE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 1e-3, rhoend = 1e-12)))
vc <- as.data.frame(VarCorr(fit))
b <- fixef(fit)
ref <- data.frame(
  name = c("beta0", "beta1", "sd_int", "sd_slope", "rho", "sigma", "loglik"),
  value = c(b[[1]], b[[2]], vc$sdcor[1], vc$sdcor[2], vc$sdcor[3], vc$sdcor[4], as.numeric(logLik(fit))))
write.csv(transform(ref, value = sprintf("%.10g", value)), "bench/point/sleepstudy_lmer.csv",
          row.names = FALSE, quote = FALSE)
print(ref, digits = 10)
