/*
 * Packed single-precision GEMM for AVX2 + FMA (the BLIS loop order): B is packed in KC x NC panels of
 * 16-column slivers, A in MC x KC blocks of 6-row slivers, and a 6x16 micro-kernel keeps its tile of C
 * in twelve ymm registers through the whole KC loop. Any operand strides, so transposes cost nothing.
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

enum { MR = 6, NR = 16, KC = 256, MC = 120, NC = 512 };

/* c[0..6)[0..16) (+)= sum_p a[p*6 + r] * b[p*16 + j] */
static void micro_6x16(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
/* row r of the tile += a[r] * (b0, b1) */
#define FMA_ROW(r, lo, hi)                                                \
  do {                                                                    \
    const __m256 av = _mm256_broadcast_ss(a + (r));                       \
    lo = _mm256_fmadd_ps(av, b0, lo);                                     \
    hi = _mm256_fmadd_ps(av, b1, hi);                                     \
  } while (0)
  for (int p = 0; p < kc; p++, a += MR, b += NR) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    FMA_ROW(0, c00, c01);
    FMA_ROW(1, c10, c11);
    FMA_ROW(2, c20, c21);
    FMA_ROW(3, c30, c31);
    FMA_ROW(4, c40, c41);
    FMA_ROW(5, c50, c51);
  }
#undef FMA_ROW
#define STORE_ROW(r, lo, hi)                                              \
  do {                                                                    \
    float *row = c + (r) * ldc;                                           \
    if (load) {                                                           \
      lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));                       \
      hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));                   \
    }                                                                     \
    _mm256_storeu_ps(row, lo);                                            \
    _mm256_storeu_ps(row + 8, hi);                                        \
  } while (0)
  STORE_ROW(0, c00, c01);
  STORE_ROW(1, c10, c11);
  STORE_ROW(2, c20, c21);
  STORE_ROW(3, c30, c31);
  STORE_ROW(4, c40, c41);
  STORE_ROW(5, c50, c51);
#undef STORE_ROW
}

/* A partial tile: the full kernel into a scratch tile, then the valid mr x nr corner into C. */
static void micro_edge(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int load, int mr,
                       int nr) {
  float tile[MR * NR] __attribute__((aligned(32)));
  micro_6x16(kc, a, b, tile, NR, 0);
  for (int i = 0; i < mr; i++) {
    float *row = c + i * ldc;
    const float *t = tile + i * NR;
    if (load)
      for (int j = 0; j < nr; j++) row[j] += t[j];
    else
      for (int j = 0; j < nr; j++) row[j] = t[j];
  }
}

/* Bp[sliver][p][16] = B(p0 + p, j0 + 16*sliver + j), zero past the edge. */
static void pack_b(int kc, int nc, const float *b, ptrdiff_t rsb, ptrdiff_t csb, float *bp) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    const int nr = nc - j0 < NR ? nc - j0 : NR;
    const float *col = b + j0 * csb;
    if (csb == 1 && nr == NR) {
      for (int p = 0; p < kc; p++, bp += NR) memcpy(bp, col + p * rsb, NR * sizeof(float));
    } else {
      for (int p = 0; p < kc; p++, bp += NR) {
        const float *src = col + p * rsb;
        int j = 0;
        for (; j < nr; j++) bp[j] = src[j * csb];
        for (; j < NR; j++) bp[j] = 0.0f;
      }
    }
  }
}

/* Ap[sliver][p][6] = A(i0 + 6*sliver + r, p0 + p), zero past the edge. */
static void pack_a(int mc, int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, float *ap) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    const int mr = mc - i0 < MR ? mc - i0 : MR;
    const float *rows = a + i0 * rsa;
    if (mr == MR && csa == 1) {
      const float *r0 = rows, *r1 = rows + rsa, *r2 = rows + 2 * rsa;
      const float *r3 = rows + 3 * rsa, *r4 = rows + 4 * rsa, *r5 = rows + 5 * rsa;
      for (int p = 0; p < kc; p++, ap += MR) {
        ap[0] = r0[p];
        ap[1] = r1[p];
        ap[2] = r2[p];
        ap[3] = r3[p];
        ap[4] = r4[p];
        ap[5] = r5[p];
      }
    } else if (mr == MR && rsa == 1) {
      for (int p = 0; p < kc; p++, ap += MR) memcpy(ap, rows + p * csa, MR * sizeof(float));
    } else {
      for (int p = 0; p < kc; p++, ap += MR) {
        int r = 0;
        for (; r < mr; r++) ap[r] = rows[r * rsa + p * csa];
        for (; r < MR; r++) ap[r] = 0.0f;
      }
    }
  }
}

void ut_sgemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b,
              ptrdiff_t rsb, ptrdiff_t csb, float *c, ptrdiff_t ldc, int accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(float));
    return;
  }
  /* Packing buffers per call: no state shared between the worker threads that call in. */
  const int kmax = k < KC ? k : KC;
  const int nmax = ((n < NC ? n : NC) + NR - 1) / NR * NR;
  const int mmax = ((m < MC ? m : MC) + MR - 1) / MR * MR;
  float *ap = aligned_alloc(64, sizeof(float) * (size_t)mmax * kmax);
  float *bp = aligned_alloc(64, sizeof(float) * (size_t)kmax * nmax);
  if (ap == NULL || bp == NULL) abort();
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      const int load = accumulate || pc > 0;
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, bp);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          const float *bs = bp + (ptrdiff_t)jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? mc - ir : MR;
            float *ct = c + (ptrdiff_t)(ic + ir) * ldc + jc + jr;
            const float *as = ap + (ptrdiff_t)ir * kc;
            if (mr == MR && nr == NR)
              micro_6x16(kc, as, bs, ct, ldc, load);
            else
              micro_edge(kc, as, bs, ct, ldc, load, mr, nr);
          }
        }
      }
    }
  }
  free(ap);
  free(bp);
}
