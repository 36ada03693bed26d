/*
 * The objective of src/metrics/logistic-regression.ts (multinomial logistic loss with an L2 penalty and its
 * gradient), the arithmetic of its JS loop but not its order: rows go through in blocks that stay in L1,
 * every class's scores, softmax and gradient terms for a block before the next, with AVX2/FMA and four
 * accumulators per sum. So the result differs from the JS objective by rounding only (a few ulps of the
 * loss; test/logistic-native.test.ts), and the fit is deterministic for a given input.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

#define BLOCK 256

/* e^x for x <= 0 (a softmax's shifted scores), within ~2 ulps; below -708 (where e^x leaves the normal
   range, and is nothing beside the top score's 1) it returns e^-708. */
static inline __m256d exp_nonpositive(__m256d x) {
  const __m256d log2e = _mm256_set1_pd(1.4426950408889634);
  const __m256d ln2_hi = _mm256_set1_pd(6.93147180369123816490e-01);
  const __m256d ln2_lo = _mm256_set1_pd(1.90821492927058770002e-10);
  x = _mm256_max_pd(x, _mm256_set1_pd(-708.0));
  const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(k, ln2_hi, x);
  r = _mm256_fnmadd_pd(k, ln2_lo, r);
  /* Taylor series to r^13 / 13!: |r| <= ln2 / 2, so the first term left out is below 1e-17 relative */
  static const double inverse_factorial[14] = {1.0,
                                               1.0,
                                               1.0 / 2,
                                               1.0 / 6,
                                               1.0 / 24,
                                               1.0 / 120,
                                               1.0 / 720,
                                               1.0 / 5040,
                                               1.0 / 40320,
                                               1.0 / 362880,
                                               1.0 / 3628800,
                                               1.0 / 39916800,
                                               1.0 / 479001600,
                                               1.0 / 6227020800};
  __m256d p = _mm256_set1_pd(inverse_factorial[13]);
  for (int d = 12; d >= 0; d--) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(inverse_factorial[d]));
  /* times 2^k: k + 1023 into the exponent bits */
  const __m256i bits = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k)), _mm256_set1_epi64x(1023)), 52);
  return _mm256_mul_pd(p, _mm256_castsi256_pd(bits));
}

static inline double horizontal_sum(__m256d v) {
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

/* s[0..m) = b + sum_f w[f] x_f[0..m), x_f = x + f*n (the block's rows of each feature's column). */
static void block_scores(const double *x, ptrdiff_t n, int features, const double *w, double b, double *s,
                         int m) {
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    __m256d acc = _mm256_set1_pd(b);
    for (int f = 0; f < features; f++)
      acc = _mm256_fmadd_pd(_mm256_set1_pd(w[f]), _mm256_loadu_pd(x + (ptrdiff_t)f * n + i), acc);
    _mm256_storeu_pd(s + i, acc);
  }
  for (; i < m; i++) {
    double acc = b;
    for (int f = 0; f < features; f++) acc = fma(w[f], x[(ptrdiff_t)f * n + i], acc);
    s[i] = acc;
  }
}

/* g[f] += sum_i v[i] x_f[i] for every feature, g[features] += sum_i v[i], over the block's m rows. */
static void block_gradient(const double *x, ptrdiff_t n, int features, const double *v, int m, double *g) {
  int f = 0;
  const int whole = m & ~3;
  for (; f + 4 <= features; f += 4) {
    const double *xa = x + (ptrdiff_t)f * n, *xb = xa + n, *xc = xb + n, *xd = xc + n;
    __m256d a = _mm256_setzero_pd(), b = a, c = a, d = a;
    for (int i = 0; i < whole; i += 4) {
      const __m256d vi = _mm256_loadu_pd(v + i);
      a = _mm256_fmadd_pd(vi, _mm256_loadu_pd(xa + i), a);
      b = _mm256_fmadd_pd(vi, _mm256_loadu_pd(xb + i), b);
      c = _mm256_fmadd_pd(vi, _mm256_loadu_pd(xc + i), c);
      d = _mm256_fmadd_pd(vi, _mm256_loadu_pd(xd + i), d);
    }
    double sa = horizontal_sum(a), sb = horizontal_sum(b), sc = horizontal_sum(c), sd = horizontal_sum(d);
    for (int i = whole; i < m; i++) {
      sa = fma(v[i], xa[i], sa);
      sb = fma(v[i], xb[i], sb);
      sc = fma(v[i], xc[i], sc);
      sd = fma(v[i], xd[i], sd);
    }
    g[f] += sa;
    g[f + 1] += sb;
    g[f + 2] += sc;
    g[f + 3] += sd;
  }
  for (; f <= features; f++) {
    /* the last pass is the intercept's: a column of ones */
    const double *xf = f < features ? x + (ptrdiff_t)f * n : NULL;
    __m256d a = _mm256_setzero_pd(), b = a;
    int i = 0;
    for (; i + 8 <= whole; i += 8) {
      const __m256d va = _mm256_loadu_pd(v + i), vb = _mm256_loadu_pd(v + i + 4);
      if (xf) {
        a = _mm256_fmadd_pd(va, _mm256_loadu_pd(xf + i), a);
        b = _mm256_fmadd_pd(vb, _mm256_loadu_pd(xf + i + 4), b);
      } else {
        a = _mm256_add_pd(va, a);
        b = _mm256_add_pd(vb, b);
      }
    }
    double sum = horizontal_sum(_mm256_add_pd(a, b));
    for (; i < m; i++) sum = xf ? fma(v[i], xf[i], sum) : sum + v[i];
    g[f] += sum;
  }
}

int ut_logistic_objective(const double *x, const int32_t *y, const double *row_weight, ptrdiff_t n,
                          int features, int k, double c, double ridge, const double *w, double *grad,
                          double *loss_out) {
  const int p = features + 1;
  double *scratch = malloc(sizeof(double) * BLOCK * (size_t)k);
  if (!scratch) return -2;
  double top[BLOCK], share[BLOCK];
  double loss = 0;
  for (ptrdiff_t at = 0; at < (ptrdiff_t)k * p; at++) grad[at] = 0;
  for (ptrdiff_t i0 = 0; i0 < n; i0 += BLOCK) {
    const int m = (int)(n - i0 < BLOCK ? n - i0 : BLOCK);
    for (int i = 0; i < m; i++) {
      if (y[i0 + i] < 0 || y[i0 + i] >= k) {
        free(scratch);
        return -1;
      }
      top[i] = -INFINITY;
    }
    for (int j = 0; j < k; j++) {
      double *s = scratch + (ptrdiff_t)j * BLOCK;
      block_scores(x + i0, n, features, w + (ptrdiff_t)j * p, w[(ptrdiff_t)j * p + features], s, m);
      for (int i = 0; i < m; i++) top[i] = s[i] > top[i] ? s[i] : top[i];
    }
    for (int i = 0; i < m; i++) {
      const double *s = scratch + (ptrdiff_t)y[i0 + i] * BLOCK;
      loss -= row_weight[i0 + i] * (s[i] - top[i]);
      share[i] = 0; /* the softmax's denominator, until below */
    }
    for (int j = 0; j < k; j++) {
      double *s = scratch + (ptrdiff_t)j * BLOCK;
      int i = 0;
      for (; i + 4 <= m; i += 4) {
        const __m256d e = exp_nonpositive(_mm256_sub_pd(_mm256_loadu_pd(s + i), _mm256_loadu_pd(top + i)));
        _mm256_storeu_pd(s + i, e);
        _mm256_storeu_pd(share + i, _mm256_add_pd(_mm256_loadu_pd(share + i), e));
      }
      for (; i < m; i++) {
        s[i] = exp(s[i] - top[i]);
        share[i] += s[i];
      }
    }
    for (int i = 0; i < m; i++) {
      loss += row_weight[i0 + i] * log(share[i]);
      share[i] = c * row_weight[i0 + i] / share[i];
    }
    /* each class's score gradient c w_i (softmax - onehot), then its weights' gradient */
    for (int j = 0; j < k; j++) {
      double *s = scratch + (ptrdiff_t)j * BLOCK;
      for (int i = 0; i < m; i++) s[i] *= share[i];
    }
    for (int i = 0; i < m; i++) scratch[(ptrdiff_t)y[i0 + i] * BLOCK + i] -= c * row_weight[i0 + i];
    for (int j = 0; j < k; j++)
      block_gradient(x + i0, n, features, scratch + (ptrdiff_t)j * BLOCK, m, grad + (ptrdiff_t)j * p);
  }
  free(scratch);
  loss *= c;
  for (int j = 0; j < k; j++)
    for (int f = 0; f < features; f++) {
      const double wf = w[(ptrdiff_t)j * p + f];
      grad[(ptrdiff_t)j * p + f] += ridge * wf;
      loss += 0.5 * ridge * wf * wf;
    }
  *loss_out = loss;
  return 0;
}
