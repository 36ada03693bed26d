/*
 * Convolutions as GEMMs over im2col columns, a bounded chunk of output positions at a time (the chunk's
 * columns stay in L2 while the GEMM reads them): the forward pass and the filter gradient gather patches
 * of x, the input gradient scatters dy * W^T back onto the image (col2im). NHWC patches are read as one
 * contiguous run of kw*ci floats per filter row wherever the row lies inside the image.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Output positions per chunk: about 256 KiB of columns, a multiple of the GEMM's 6-row slivers. */
static int chunk_rows(int taps, int total) {
  int rows = (65536 / (taps > 0 ? taps : 1)) / 6 * 6;
  if (rows < 6) rows = 6;
  return rows < total ? rows : total;
}

/* Output position m (of n*oh*ow): its image and the input pixel at its patch's top-left corner. */
typedef struct {
  long n;
  int iy0, ix0;
} patch;

static patch patch_at(const conv_geometry *g, long m) {
  const long plane = (long)g->oh * g->ow;
  const int oy = (int)((m % plane) / g->ow), ox = (int)(m % g->ow);
  return (patch){m / plane, oy * g->sh - g->pad_top, ox * g->sw - g->pad_left};
}

/* col[r][ky][kx][c] = x[n, oy*sh+ky-pt, ox*sw+kx-pl, c] (0 outside) for output positions m0 .. m0+rows. */
static void im2col(const conv_geometry *g, const float *x, long m0, int rows, float *col) {
  const int ci = g->ci, kw = g->kw, run = kw * ci;
  for (int r = 0; r < rows; r++) {
    const patch p = patch_at(g, m0 + r);
    const int ix0 = p.ix0;
    const int inside = ix0 >= 0 && ix0 + kw <= g->w;
    for (int ky = 0; ky < g->kh; ky++, col += run) {
      const int iy = p.iy0 + ky;
      if (iy < 0 || iy >= g->h) {
        memset(col, 0, sizeof(float) * run);
        continue;
      }
      const float *src = x + ((p.n * g->h + iy) * g->w) * ci;
      if (inside) {
        memcpy(col, src + (long)ix0 * ci, sizeof(float) * run);
        continue;
      }
      for (int kx = 0; kx < kw; kx++) {
        const int ix = ix0 + kx;
        if (ix < 0 || ix >= g->w)
          memset(col + kx * ci, 0, sizeof(float) * ci);
        else
          memcpy(col + kx * ci, src + (long)ix * ci, sizeof(float) * ci);
      }
    }
  }
}

/* dx[n, oy*sh+ky-pt, ox*sw+kx-pl, c] += col[r][ky][kx][c] inside the image: the adjoint of im2col. */
static void col2im_add(const conv_geometry *g, const float *col, long m0, int rows, float *dx) {
  const int ci = g->ci, kw = g->kw, run = kw * ci;
  for (int r = 0; r < rows; r++) {
    const patch p = patch_at(g, m0 + r);
    const int ix0 = p.ix0;
    for (int ky = 0; ky < g->kh; ky++, col += run) {
      const int iy = p.iy0 + ky;
      if (iy < 0 || iy >= g->h) continue;
      float *dst = dx + ((p.n * g->h + iy) * g->w) * ci;
      const int kx0 = ix0 < 0 ? -ix0 : 0;
      const int kx1 = ix0 + kw > g->w ? g->w - ix0 : kw;
      if (kx1 <= kx0) continue;
      float *d = dst + (long)(ix0 + kx0) * ci;
      const float *s = col + kx0 * ci;
      const int len = (kx1 - kx0) * ci;
      for (int i = 0; i < len; i++) d[i] += s[i];
    }
  }
}

static void bias_activation(float *y, long rows, int co, const float *bias, int relu) {
  if (bias == NULL && !relu) return;
  for (long r = 0; r < rows; r++, y += co) {
    if (bias != NULL)
      for (int j = 0; j < co; j++) y[j] += bias[j];
    if (relu)
      for (int j = 0; j < co; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
  }
}

/* One thread's share of a forward conv: chunks first, first + step, ... (the same rows whatever the count). */
typedef struct {
  const conv_geometry *g;
  const float *x, *w, *bias;
  float *y;
  int relu, rows, first, step, failed;
} forward_job;

static void *forward_chunks(void *arg) {
  forward_job *job = arg;
  const conv_geometry *g = job->g;
  const int taps = g->kh * g->kw * g->ci;
  const long total = (long)g->n * g->oh * g->ow;
  float *col = malloc(sizeof(float) * (size_t)job->rows * taps);
  if (col == NULL) {
    job->failed = 1;
    return NULL;
  }
  for (long m0 = (long)job->first * job->rows; m0 < total; m0 += (long)job->step * job->rows) {
    const int mc = (int)(total - m0 < job->rows ? total - m0 : job->rows);
    float *out = job->y + m0 * g->co;
    im2col(g, job->x, m0, mc, col);
    ut_sgemm(mc, g->co, taps, col, taps, 1, job->w, g->co, 1, out, g->co, 0);
    bias_activation(out, mc, g->co, job->bias, job->relu);
  }
  free(col);
  return NULL;
}

int ut_conv2d(const conv_geometry *g, const float *x, const float *w, const float *bias, int relu, float *y,
              int threads) {
  const int taps = g->kh * g->kw * g->ci;
  const long total = (long)g->n * g->oh * g->ow;
  if (total == 0) return 0;
  const int rows = chunk_rows(taps, (int)(total < 1 << 30 ? total : 1 << 30));
  const long chunks = (total + rows - 1) / rows;
  if (threads > chunks) threads = (int)chunks;
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  forward_job jobs[64];
  pthread_t ids[64];
  int started[64] = {0};
  for (int t = 0; t < threads; t++) jobs[t] = (forward_job){g, x, w, bias, y, relu, rows, t, threads, 0};
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], NULL, forward_chunks, &jobs[t]) == 0;
  forward_chunks(&jobs[0]);
  int failed = jobs[0].failed;
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(ids[t], NULL);
    else forward_chunks(&jobs[t]);
    failed |= jobs[t].failed;
  }
  return failed ? -1 : 0;
}

int ut_conv2d_filter_grad(const conv_geometry *g, const float *x, const float *dy, float *dw) {
  const int taps = g->kh * g->kw * g->ci;
  const long total = (long)g->n * g->oh * g->ow;
  if (total == 0) {
    memset(dw, 0, sizeof(float) * (size_t)taps * g->co);
    return 0;
  }
  const int rows = chunk_rows(taps, (int)(total < 1 << 30 ? total : 1 << 30));
  float *col = malloc(sizeof(float) * (size_t)rows * taps);
  if (col == NULL) return -1;
  for (long m0 = 0; m0 < total; m0 += rows) {
    const int mc = (int)(total - m0 < rows ? total - m0 : rows);
    im2col(g, x, m0, mc, col);
    /* dw[t, o] += sum_r col[r, t] dy[m0 + r, o] */
    ut_sgemm(taps, g->co, mc, col, 1, taps, dy + m0 * g->co, g->co, 1, dw, g->co, m0 > 0);
  }
  free(col);
  return 0;
}

/*
 * One past the last dx value that output positions up to m touch: the bottom-right corner of m's patch,
 * clamped to the image (positions run in raster order, so no earlier one reaches further).
 */
static long touched_end(const conv_geometry *g, long m) {
  const patch p = patch_at(g, m);
  const long image = p.n * g->h;
  int row = p.iy0 + g->kh - 1, col = p.ix0 + g->kw - 1;
  if (row < 0) return image * g->w * g->ci;
  if (row >= g->h) row = g->h - 1;
  if (col >= g->w) col = g->w - 1;
  if (col < -1) col = -1;
  return ((image + row) * g->w + col + 1) * g->ci;
}

int ut_conv2d_input_grad(const conv_geometry *g, const float *dy, const float *w, float *dx) {
  const int taps = g->kh * g->kw * g->ci;
  const long total = (long)g->n * g->oh * g->ow;
  const long size = (long)g->n * g->h * g->w * g->ci;
  if (total == 0) {
    memset(dx, 0, sizeof(float) * (size_t)size);
    return 0;
  }
  const int rows = chunk_rows(taps, (int)(total < 1 << 30 ? total : 1 << 30));
  float *col = malloc(sizeof(float) * (size_t)rows * taps);
  float *wt = malloc(sizeof(float) * (size_t)taps * g->co);
  if (col == NULL || wt == NULL) {
    free(col);
    free(wt);
    return -1;
  }
  for (int t = 0; t < taps; t++)
    for (int o = 0; o < g->co; o++) wt[(long)o * taps + t] = w[(long)t * g->co + o];
  /* dx is zeroed a chunk's reach at a time, just before the chunk adds into it (so it is still in cache),
     not all at once up front: dx[0, zeroed) is zeroed, and no chunk has touched anything past it */
  long zeroed = 0;
  for (long m0 = 0; m0 < total; m0 += rows) {
    const int mc = (int)(total - m0 < rows ? total - m0 : rows);
    /* col[r, t] = sum_o dy[m0 + r, o] w[t, o] */
    ut_sgemm(mc, taps, g->co, dy + m0 * g->co, g->co, 1, wt, taps, 1, col, taps, 0);
    const long end = touched_end(g, m0 + mc - 1);
    if (end > zeroed) {
      memset(dx + zeroed, 0, sizeof(float) * (size_t)(end - zeroed));
      zeroed = end;
    }
    col2im_add(g, col, m0, mc, dx);
  }
  if (size > zeroed) memset(dx + zeroed, 0, sizeof(float) * (size_t)(size - zeroed));
  free(col);
  free(wt);
  return 0;
}

void ut_sum_leading(const float *x, ptrdiff_t reduced, ptrdiff_t kept, float *out) {
  double *acc = calloc(kept > 0 ? (size_t)kept : 1, sizeof(double));
  if (acc == NULL) abort();
  for (ptrdiff_t i = 0; i < reduced; i++, x += kept)
    for (ptrdiff_t j = 0; j < kept; j++) acc[j] += x[j];
  for (ptrdiff_t j = 0; j < kept; j++) out[j] = (float)acc[j];
  free(acc);
}

void ut_sum_trailing(const float *x, ptrdiff_t kept, ptrdiff_t reduced, float *out) {
  for (ptrdiff_t j = 0; j < kept; j++, x += reduced) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    ptrdiff_t i = 0;
    for (; i + 8 <= reduced; i += 8) {
      a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
      a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, _mm256_add_pd(a0, a1));
    double acc = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < reduced; i++) acc += x[i];
    out[j] = (float)acc;
  }
}
