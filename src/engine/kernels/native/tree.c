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

int ut_tree_scan(const float *values, const int32_t *rows, const double *r, ptrdiff_t n, int features,
                 ptrdiff_t start, ptrdiff_t end, double sum, double *best_improvement, int32_t *best_left,
                 double *best_threshold) {
  for (int f = 0; f < features; f++) {
    best_improvement[f] = -INFINITY;
    const ptrdiff_t base = (ptrdiff_t)f * n;
    if ((double)values[base + end - 1] <= (double)values[base + start] + FEATURE_THRESHOLD) continue;
    double above = -INFINITY;
    double left_sum = 0;
    double last = values[base + start];
    double nl = 0;
    double nr = (double)(end - start);
    for (ptrdiff_t s = base + start; s < base + end; s++) {
      const double v = values[s];
      if (v > last + FEATURE_THRESHOLD && nl > 0) {
        const double diff = nr * left_sum - nl * (sum - left_sum);
        if (diff * diff > above * (nl * nr)) {
          const double improvement = (diff * diff) / (nl * nr);
          above = improvement * (1 + TIE) + 1e-300;
          best_improvement[f] = improvement;
          best_left[f] = (int32_t)nl;
          const double threshold = last / 2 + v / 2;
          best_threshold[f] = threshold == v ? last : threshold;
        }
      }
      const int32_t i = rows[s];
      if (i < 0 || i >= n) return -1;
      left_sum += r[i];
      last = v;
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
