/*
 * The two loops of src/metrics/tree-grower.ts (its JS versions bestSplitOfFeature and partitionSegment),
 * with the very same float64 arithmetic in the same order, so a tree grown here equals the JS tree bit for
 * bit (built with -ffp-contract=off; test/tree-grower-native.test.ts). Layout: per feature f, positions
 * f*n ... f*n + n - 1 of `rows` and `values` hold a node segment's rows and their float32 values, sorted.
 * Every row index is checked against n before it is used; a bad one stops the loop and returns -1.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#define FEATURE_THRESHOLD 1e-7
#define TIE 1e-12

/* One feature's running state in a scan (bestSplitOfFeature's locals). */
typedef struct {
  const float *values;
  double above, left_sum, last;
  int f;
} scan_state;

static inline void scan_init(scan_state *q, const float *values, int f, ptrdiff_t n, ptrdiff_t start) {
  q->values = values + (ptrdiff_t)f * n;
  q->above = -INFINITY;
  q->left_sum = 0;
  q->last = q->values[start];
  q->f = f;
}

/* The best split so far of feature f (a rare event: most rows improve on nothing). */
static inline void record_split(int f, double improvement, double nl, double last, double v,
                                double *best_improvement, int32_t *best_left, double *best_threshold) {
  best_improvement[f] = improvement;
  best_left[f] = (int32_t)nl;
  const double threshold = last / 2 + v / 2;
  best_threshold[f] = threshold == v ? last : threshold;
}

/* One row of one feature's scan: the candidate before position s, then the row joins the left side. */
static inline int scan_step(scan_state *q, const int32_t *rows, const double *r, ptrdiff_t n, ptrdiff_t s,
                            double nl, double nr, double sum, double *best_improvement, int32_t *best_left,
                            double *best_threshold) {
  const double v = q->values[s];
  if (v > q->last + FEATURE_THRESHOLD && nl > 0) {
    const double diff = nr * q->left_sum - nl * (sum - q->left_sum);
    if (diff * diff > q->above * (nl * nr)) {
      const double improvement = (diff * diff) / (nl * nr);
      q->above = improvement * (1 + TIE) + 1e-300;
      record_split(q->f, improvement, nl, q->last, v, best_improvement, best_left, best_threshold);
    }
  }
  const int32_t i = rows[(ptrdiff_t)q->f * n + s];
  if (i < 0 || i >= n) return -1;
  q->left_sum += r[i];
  q->last = v;
  return 0;
}

/* Four features' scans at once, one per AVX2 lane: each lane does scan_step's arithmetic in its order (no FMA,
   the same comparisons), so every feature's sums, candidates and best split are the scalar loop's bits. The
   four rows of a position come from four loads each of values and rows, r by a gather. */
static int scan_four(const float *values, const int32_t *rows, const double *r, ptrdiff_t n, const int *fs,
                     ptrdiff_t start, ptrdiff_t end, double sum, double *best_improvement, int32_t *best_left,
                     double *best_threshold) {
  const float *v0 = values + fs[0] * n, *v1 = values + fs[1] * n, *v2 = values + fs[2] * n,
              *v3 = values + fs[3] * n;
  const int32_t *r0 = rows + fs[0] * n, *r1 = rows + fs[1] * n, *r2 = rows + fs[2] * n, *r3 = rows + fs[3] * n;
  const __m256d threshold_gap = _mm256_set1_pd(FEATURE_THRESHOLD);
  const __m256d sums = _mm256_set1_pd(sum);
  const __m256d tie = _mm256_set1_pd(1 + TIE);
  const __m256d tiny = _mm256_set1_pd(1e-300);
  const __m128i last_row = _mm_set1_epi32((int32_t)n - 1);
  __m256d above = _mm256_set1_pd(-INFINITY);
  __m256d left_sum = _mm256_setzero_pd();
  __m256d last = _mm256_cvtps_pd(_mm_set_ps(v3[start], v2[start], v1[start], v0[start]));
  double nl = 0;
  double nr = (double)(end - start);
  for (ptrdiff_t s = start; s < end; s++) {
    const __m256d v = _mm256_cvtps_pd(_mm_set_ps(v3[s], v2[s], v1[s], v0[s]));
    if (nl > 0) {
      const __m256d moved = _mm256_cmp_pd(v, _mm256_add_pd(last, threshold_gap), _CMP_GT_OQ);
      if (_mm256_movemask_pd(moved)) {
        const __m256d vnl = _mm256_set1_pd(nl), vnr = _mm256_set1_pd(nr), product = _mm256_set1_pd(nl * nr);
        const __m256d diff = _mm256_sub_pd(_mm256_mul_pd(vnr, left_sum),
                                           _mm256_mul_pd(vnl, _mm256_sub_pd(sums, left_sum)));
        const __m256d square = _mm256_mul_pd(diff, diff);
        const __m256d better = _mm256_and_pd(moved, _mm256_cmp_pd(square, _mm256_mul_pd(above, product), _CMP_GT_OQ));
        const int mask = _mm256_movemask_pd(better);
        if (mask) {
          const __m256d improvement = _mm256_div_pd(square, product);
          above = _mm256_blendv_pd(above, _mm256_add_pd(_mm256_mul_pd(improvement, tie), tiny), better);
          double imp[4], lastv[4], vv[4];
          _mm256_storeu_pd(imp, improvement);
          _mm256_storeu_pd(lastv, last);
          _mm256_storeu_pd(vv, v);
          for (int g = 0; g < 4; g++)
            if (mask >> g & 1)
              record_split(fs[g], imp[g], nl, lastv[g], vv[g], best_improvement, best_left, best_threshold);
        }
      }
    }
    const __m128i index = _mm_set_epi32(r3[s], r2[s], r1[s], r0[s]);
    if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpgt_epi32(index, last_row),
                                       _mm_cmpgt_epi32(_mm_setzero_si128(), index))))
      return -1;
    left_sum = _mm256_add_pd(left_sum, _mm256_i32gather_pd(r, index, 8));
    last = v;
    nl += 1;
    nr -= 1;
  }
  return 0;
}

/* Features go four at a time through scan_four; the rest one by one. */
int ut_tree_scan(const float *values, const int32_t *rows, const double *r, ptrdiff_t n, int features,
                 ptrdiff_t start, ptrdiff_t end, double sum, double *best_improvement, int32_t *best_left,
                 double *best_threshold) {
  int varying[features > 0 ? features : 1];
  int count = 0;
  for (int f = 0; f < features; f++) {
    best_improvement[f] = -INFINITY;
    const ptrdiff_t base = (ptrdiff_t)f * n;
    if ((double)values[base + end - 1] <= (double)values[base + start] + FEATURE_THRESHOLD) continue;
    varying[count++] = f;
  }
  int at = 0;
  for (; at + 4 <= count; at += 4)
    if (scan_four(values, rows, r, n, varying + at, start, end, sum, best_improvement, best_left,
                  best_threshold))
      return -1;
  for (; at < count; at++) {
    scan_state q;
    scan_init(&q, values, varying[at], n, start);
    double nl = 0;
    double nr = (double)(end - start);
    for (ptrdiff_t s = start; s < end; s++) {
      if (scan_step(&q, rows, r, n, s, nl, nr, sum, best_improvement, best_left, best_threshold)) return -1;
      nl += 1;
      nr -= 1;
    }
  }
  return 0;
}

int ut_tree_partition(int split, const int32_t *rows, const float *values, int32_t *to_rows, float *to_values,
                      uint8_t *goes_left, int32_t *spare_rows, float *spare_values, ptrdiff_t n, int features,
                      ptrdiff_t start, ptrdiff_t end, ptrdiff_t nl) {
  const ptrdiff_t split_base = (ptrdiff_t)split * n;
  for (ptrdiff_t s = start; s < end; s++) {
    const int32_t i = rows[split_base + s];
    if (i < 0 || i >= n) return -1;
    goes_left[i] = s < start + nl;
  }
  for (int f = 0; f < features; f++) {
    const ptrdiff_t from = (ptrdiff_t)f * n + start;
    const ptrdiff_t to = (ptrdiff_t)f * n + end;
    if (f == split) {
      memcpy(to_rows + from, rows + from, (size_t)(to - from) * sizeof(int32_t));
      memcpy(to_values + from, values + from, (size_t)(to - from) * sizeof(float));
      continue;
    }
    ptrdiff_t left = from;
    ptrdiff_t right = 0;
    for (ptrdiff_t s = from; s < to; s++) {
      const int32_t i = rows[s];
      if (i < 0 || i >= n) return -1;
      const float v = values[s];
      const int g = goes_left[i];
      to_rows[left] = i;
      to_values[left] = v;
      spare_rows[right] = i;
      spare_values[right] = v;
      left += g;
      right += 1 - g;
    }
    memcpy(to_rows + left, spare_rows, (size_t)right * sizeof(int32_t));
    memcpy(to_values + left, spare_values, (size_t)right * sizeof(float));
  }
  return 0;
}

/* The tree's nodes made walkable without branches: a leaf points at itself both ways (with a threshold no
   value exceeds), so every row takes `depth` steps whatever leaf it reaches. Checks the tree on the way:
   returns its depth, or -1 when a child or feature is out of range or a walk would not end. */
#define MAX_WALK_NODES 4096
static int walkable(const int32_t *feature, const double *threshold, const int32_t *left, const int32_t *right,
                    ptrdiff_t nodes, int features, int32_t *f, double *t, int32_t *l, int32_t *r) {
  for (ptrdiff_t v = 0; v < nodes; v++) {
    if (feature[v] >= features) return -1;
    if (feature[v] < 0) {
      f[v] = 0;
      t[v] = INFINITY;
      l[v] = r[v] = (int32_t)v;
    } else {
      if (left[v] < 0 || left[v] >= nodes || right[v] < 0 || right[v] >= nodes) return -1;
      f[v] = feature[v];
      t[v] = threshold[v];
      l[v] = left[v];
      r[v] = right[v];
    }
  }
  /* the depth: the longest walk from the root, which must end within `nodes` steps */
  int32_t depth_of[MAX_WALK_NODES];
  for (ptrdiff_t v = 0; v < nodes; v++) depth_of[v] = -1;
  depth_of[0] = 0;
  int depth = 0;
  for (int level = 0; level < nodes; level++) {
    int moved = 0;
    for (ptrdiff_t v = 0; v < nodes; v++) {
      if (depth_of[v] != level || feature[v] < 0) continue;
      depth_of[l[v]] = depth_of[r[v]] = level + 1;
      depth = level + 1;
      moved = 1;
    }
    if (!moved) return depth;
  }
  return -1;
}

int ut_tree_predict(const int32_t *feature, const double *threshold, const int32_t *left, const int32_t *right,
                    const double *value, ptrdiff_t nodes, const float *x, ptrdiff_t n, int features, double scale,
                    double *out, int outputs, int output) {
  if (nodes > MAX_WALK_NODES) return -1;
  int32_t f[MAX_WALK_NODES], l[MAX_WALK_NODES], r[MAX_WALK_NODES];
  double t[MAX_WALK_NODES];
  const int depth = walkable(feature, threshold, left, right, nodes, features, f, t, l, r);
  if (depth < 0) return -1;
  /* eight rows walk side by side: one row's steps are a chain of dependent loads */
  ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int32_t node[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int step = 0; step < depth; step++)
      for (int g = 0; g < 8; g++) {
        const int32_t v = node[g];
        node[g] = (double)x[(i + g) * features + f[v]] <= t[v] ? l[v] : r[v];
      }
    for (int g = 0; g < 8; g++) out[(i + g) * outputs + output] += scale * value[node[g]];
  }
  for (; i < n; i++) {
    int32_t node = 0;
    for (int step = 0; step < depth; step++) node = (double)x[i * features + f[node]] <= t[node] ? l[node] : r[node];
    out[i * outputs + output] += scale * value[node];
  }
  return 0;
}
