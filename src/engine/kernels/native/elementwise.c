/*
 * Elementwise kernels of a training step with AVX2: add/sub/mul (same shape, or the second operand
 * repeated along the leading axes: a bias), ReLU, Step, Neg, Abs and Softplus; and the fused ops of
 * src/engine/fused-ops.ts. NaN passes through every one as the cpu backend's does. Softplus uses Cephes-style expf/logf polynomials
 * (about 1 ulp) and the log1p(u) = log(1+u) * u / ((1+u) - 1) correction, so small exp(-|x|) stay exact.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "kernels.h"

/* out[i] = a[i] op b[i % period] */
void ut_binary(int op, const float *a, const float *b, float *out, ptrdiff_t n, ptrdiff_t period) {
  for (ptrdiff_t r = 0; r < n; r += period, a += period, out += period) {
    switch (op) {
    case UT_ADD:
      for (ptrdiff_t j = 0; j < period; j++) out[j] = a[j] + b[j];
      break;
    case UT_SUB:
      for (ptrdiff_t j = 0; j < period; j++) out[j] = a[j] - b[j];
      break;
    default:
      for (ptrdiff_t j = 0; j < period; j++) out[j] = a[j] * b[j];
      break;
    }
  }
}

static __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3365f)), _mm256_set1_ps(88.3762f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* log(x) for x in [1, 2] (all this file needs: 1 + exp(-|x|)). */
static __m256 log256(__m256 x) {
  const __m256i bits = _mm256_castps_si256(x);
  __m256 e = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  /* mantissa in [0.5, 1) */
  __m256 m = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const __m256 small = _mm256_cmp_ps(m, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(small, _mm256_set1_ps(1.0f)));
  m = _mm256_add_ps(_mm256_sub_ps(m, _mm256_set1_ps(1.0f)), _mm256_and_ps(small, m));
  const __m256 z = _mm256_mul_ps(m, m);
  __m256 y = _mm256_set1_ps(7.0376836292e-2f);
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.1514610310e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(1.1676998740e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.2420140846e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(1.4249322787e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.6668057665e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(2.0000714765e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-2.4999993993e-1f));
  y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(3.3333331174e-1f));
  y = _mm256_mul_ps(_mm256_mul_ps(y, m), z);
  y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
  y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
  return _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), _mm256_add_ps(m, y));
}

/* softplus(x) = max(x, 0) + log1p(exp(-|x|)); NaN stays NaN. */
static __m256 softplus256(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 u = exp256(_mm256_or_ps(x, sign)); /* exp(-|x|) in (0, 1] */
  const __m256 w = _mm256_add_ps(u, _mm256_set1_ps(1.0f));
  const __m256 d = _mm256_sub_ps(w, _mm256_set1_ps(1.0f));
  /* log1p(u) = log(w) * u / (w - 1), or u itself where w rounded to 1 */
  const __m256 exact = _mm256_div_ps(_mm256_mul_ps(log256(w), u), d);
  const __m256 l = _mm256_blendv_ps(exact, u, _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ));
  const __m256 y = _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()), l);
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* out[i] = f(x[i]); alpha is Step's value where x <= 0 */
void ut_unary(int op, const float *x, float *out, ptrdiff_t n, float alpha) {
  switch (op) {
  case UT_RELU:
    for (ptrdiff_t i = 0; i < n; i++) out[i] = x[i] < 0.0f ? 0.0f : x[i];
    return;
  case UT_STEP:
    for (ptrdiff_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? 1.0f : (x[i] != x[i] ? x[i] : alpha);
    return;
  case UT_NEG:
    for (ptrdiff_t i = 0; i < n; i++) out[i] = -x[i];
    return;
  case UT_ABS:
    for (ptrdiff_t i = 0; i < n; i++) out[i] = fabsf(x[i]);
    return;
  default: {
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, softplus256(_mm256_loadu_ps(x + i)));
    if (i < n) {
      float tail[8] = {0};
      for (ptrdiff_t j = i; j < n; j++) tail[j - i] = x[j];
      _mm256_storeu_ps(tail, softplus256(_mm256_loadu_ps(tail)));
      for (ptrdiff_t j = i; j < n; j++) out[j] = tail[j - i];
    }
  }
  }
}

/* dy * step(x): the very product Multiply(dy, Step(x)) computes (NaN, -0 and inf * 0 as there) */
static inline __m256 relu_grad256(__m256 dy, __m256 x) {
  const __m256 positive = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_set1_ps(1.0f));
  const __m256 nan = _mm256_and_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x);
  return _mm256_mul_ps(dy, _mm256_or_ps(positive, nan));
}

/* relu(l) - l*x + softplus(-|l|), each operation rounded to float32 as the composite's kernels do */
static inline __m256 bernoulli_nll256(__m256 l, __m256 x) {
  const __m256 relu = _mm256_blendv_ps(l, _mm256_setzero_ps(), _mm256_cmp_ps(l, _mm256_setzero_ps(), _CMP_LT_OQ));
  const __m256 linear = _mm256_sub_ps(relu, _mm256_mul_ps(l, x));
  return _mm256_add_ps(linear, softplus256(_mm256_or_ps(l, _mm256_set1_ps(-0.0f))));
}

/* dy * (sigmoid(l) - x), sigmoid from e = exp(-|l|): 1 / (1 + e) for l >= 0, e / (1 + e) below */
static inline __m256 bernoulli_nll_grad256(__m256 dy, __m256 l, __m256 x) {
  const __m256 e = exp256(_mm256_or_ps(l, _mm256_set1_ps(-0.0f)));
  const __m256 denominator = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
  const __m256 below = _mm256_cmp_ps(l, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 sigmoid = _mm256_div_ps(_mm256_blendv_ps(_mm256_set1_ps(1.0f), e, below), denominator);
  /* NaN logits give NaN, as the composite's Sigmoid does */
  const __m256 s = _mm256_blendv_ps(sigmoid, l, _mm256_cmp_ps(l, l, _CMP_UNORD_Q));
  return _mm256_mul_ps(dy, _mm256_sub_ps(s, x));
}

static inline __m256 fused256(int op, const float *const *in, ptrdiff_t i) {
  switch (op) {
  case UT_RELU_GRAD:
    return relu_grad256(_mm256_loadu_ps(in[0] + i), _mm256_loadu_ps(in[1] + i));
  case UT_BERNOULLI_NLL:
    return bernoulli_nll256(_mm256_loadu_ps(in[0] + i), _mm256_loadu_ps(in[1] + i));
  default:
    return bernoulli_nll_grad256(_mm256_loadu_ps(in[0] + i), _mm256_loadu_ps(in[1] + i), _mm256_loadu_ps(in[2] + i));
  }
}

void ut_fused(int op, const float *const *in, float *out, ptrdiff_t n) {
  const int inputs = op == UT_BERNOULLI_NLL_GRAD ? 3 : 2;
  ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, fused256(op, in, i));
  if (i < n) {
    /* the tail through the same lanes, padded with zeros */
    float tail[3][8] = {{0}};
    const float *padded[3];
    for (int k = 0; k < inputs; k++) {
      for (ptrdiff_t j = i; j < n; j++) tail[k][j - i] = in[k][j];
      padded[k] = tail[k];
    }
    float result[8];
    _mm256_storeu_ps(result, fused256(op, padded, 0));
    for (ptrdiff_t j = i; j < n; j++) out[j] = result[j - i];
  }
}
