/*
 * The host side of a data-parallel step in C: the size-weighted mean of the threads' gradients and the
 * Adam update, with the very arithmetic of gradients.ts and adam.ts (float64 operations in the same order,
 * float32 storage; the build turns off FMA contraction), so runs, checkpoints and resumes stay bit-exact.
 */
#include <math.h>

#include "kernels.h"

void ut_weighted_sum(const float *const *parts, const double *weights, int count, float *restrict out,
                     ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; i++) out[i] = 0.0f;
  for (int j = 0; j < count; j++) {
    const float *restrict a = parts[j];
    const double w = weights[j];
    for (ptrdiff_t i = 0; i < n; i++) out[i] = (float)((double)out[i] + w * (double)a[i]);
  }
}

void ut_adam(float *restrict theta, const float *restrict g, float *restrict m, float *restrict v, ptrdiff_t n,
             const double *c) {
  const double lr_t = c[0], beta1 = c[1], beta2 = c[2], epsilon = c[3], a1 = c[4], a2 = c[5];
  for (ptrdiff_t i = 0; i < n; i++) {
    const double gi = g[i];
    const double mi = beta1 * (double)m[i] + a1 * gi;
    const double vi = beta2 * (double)v[i] + a2 * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    theta[i] = (float)((double)theta[i] - (lr_t * mi) / (sqrt(vi) + epsilon));
  }
}
