/*
 * The two loops of src/metrics/tree-grower.ts (its JS versions bestSplitOfFeature and partitionSegment),
 * with the very same float64 arithmetic in the same order, so a tree grown here equals the JS tree bit for
 * bit (built with -ffp-contract=off; test/tree-grower-native.test.ts). Layout: per feature f, positions
 * f*n ... f*n + n - 1 of `rows` and `values` hold a node segment's rows and their float32 values, sorted.
 * Every row index is checked against n before it is used; a bad one stops the loop and returns -1.
 */
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
      best_improvement[q->f] = improvement;
      best_left[q->f] = (int32_t)nl;
      const double threshold = q->last / 2 + v / 2;
      best_threshold[q->f] = threshold == v ? q->last : threshold;
    }
  }
  const int32_t i = rows[(ptrdiff_t)q->f * n + s];
  if (i < 0 || i >= n) return -1;
  q->left_sum += r[i];
  q->last = v;
  return 0;
}

/* Features go four at a time through one loop: each one's sum is a chain of dependent additions (kept in
   order, for the same rounding), and four chains run side by side instead of one after another. */
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
  for (; at + 4 <= count; at += 4) {
    scan_state q[4];
    for (int g = 0; g < 4; g++) scan_init(&q[g], values, varying[at + g], n, start);
    double nl = 0;
    double nr = (double)(end - start);
    for (ptrdiff_t s = start; s < end; s++) {
      int bad = 0;
      for (int g = 0; g < 4; g++)
        bad |= scan_step(&q[g], rows, r, n, s, nl, nr, sum, best_improvement, best_left, best_threshold);
      if (bad) return -1;
      nl += 1;
      nr -= 1;
    }
  }
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

int ut_tree_predict(const int32_t *feature, const double *threshold, const int32_t *left, const int32_t *right,
                    const double *value, ptrdiff_t nodes, const float *x, ptrdiff_t n, int features, double scale,
                    double *out, int outputs, int output) {
  for (ptrdiff_t i = 0; i < n; i++) {
    ptrdiff_t node = 0;
    for (int steps = 0; feature[node] >= 0; steps++) {
      if (feature[node] >= features || steps >= nodes) return -1;
      node = (double)x[i * features + feature[node]] <= threshold[node] ? left[node] : right[node];
      if (node < 0 || node >= nodes) return -1;
    }
    out[i * outputs + output] += scale * value[node];
  }
  return 0;
}
