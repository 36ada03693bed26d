/* Untangle's native CPU kernels (AVX2 + FMA): row-major float32, NHWC images, [kh,kw,ci,co] filters. */
#ifndef UNTANGLE_KERNELS_H
#define UNTANGLE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Geometry of a 2-D convolution x [n,h,w,ci] * w [kh,kw,ci,co] -> y [n,oh,ow,co], dilation 1. */
typedef struct {
  int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pad_top, pad_left;
} conv_geometry;

/* C[M,N] = (accumulate ? C : 0) + A[M,K] B[K,N]; A(i,p) = a[i*rsa + p*csa], B(p,j) = b[p*rsb + j*csb]. */
void ut_sgemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b,
              ptrdiff_t rsb, ptrdiff_t csb, float *c, ptrdiff_t ldc, int accumulate);

/* y = act(conv(x, w) + bias); bias may be NULL; relu: 0 linear, 1 relu; chunks of output rows spread over
   `threads` threads (the same result for any count). Returns 0, or -1 out of memory. */
int ut_conv2d(const conv_geometry *g, const float *x, const float *w, const float *bias, int relu, float *y,
              int threads);

/* dw = d(sum y*dy)/dw. */
int ut_conv2d_filter_grad(const conv_geometry *g, const float *x, const float *dy, float *dw);

/* dx = d(sum y*dy)/dx (= the transposed convolution of dy). */
int ut_conv2d_input_grad(const conv_geometry *g, const float *dy, const float *w, float *dx);

/* out[j] = sum_i x[i*kept + j] (leading axes), accumulated in float64. */
void ut_sum_leading(const float *x, ptrdiff_t reduced, ptrdiff_t kept, float *out);

/* out[j] = sum_i x[j*reduced + i] (trailing axes), accumulated in float64. */
void ut_sum_trailing(const float *x, ptrdiff_t kept, ptrdiff_t reduced, float *out);

/* Operation codes of ut_binary and ut_unary (the order of addon.ts' BINARY_OPS and UNARY_OPS). */
enum { UT_ADD, UT_SUB, UT_MUL };
enum { UT_RELU, UT_STEP, UT_NEG, UT_ABS, UT_SOFTPLUS };
/* the fused ops of src/engine/fused-ops.ts, inputs of n values each */
enum { UT_RELU_GRAD, UT_BERNOULLI_NLL, UT_BERNOULLI_NLL_GRAD };
void ut_fused(int op, const float *const *in, float *out, ptrdiff_t n);

/* out[i] = a[i] op b[i % period] for i < n (period divides n: same shape, or b a trailing bias). */
void ut_binary(int op, const float *a, const float *b, float *out, ptrdiff_t n, ptrdiff_t period);

/* out[i] = f(x[i]); alpha: Step's value where x <= 0. */
void ut_unary(int op, const float *x, float *out, ptrdiff_t n, float alpha);

/* out[i] = sum_j weights[j] * parts[j][i], each term added in float64 and rounded to float32 in turn. */
void ut_weighted_sum(const float *const *parts, const double *weights, int count, float *out, ptrdiff_t n);

/* One Adam step in place (adam.ts' arithmetic); c = {lr_t, beta1, beta2, epsilon, 1 - beta1, 1 - beta2}. */
void ut_adam(float *theta, const float *g, float *m, float *v, ptrdiff_t n, const double *c);

/* Each feature's best split of the node segment [start, end) (tree-grower.ts' bestSplitOfFeature, per
   feature f: best_improvement[f] = -inf when none). Returns 0, or -1 on a row index outside [0, n). */
int ut_tree_scan(const float *values, const int32_t *rows, const double *r, ptrdiff_t n, int features,
                 ptrdiff_t start, ptrdiff_t end, double sum, double *best_improvement, int32_t *best_left,
                 double *best_threshold);

/* Copies every feature's segment [start, end) stably into to_rows/to_values: the split feature's first nl
   rows to the left (tree-grower.ts' partition). Returns 0, or -1 on a row index outside [0, n). */
int ut_tree_partition(int split, const int32_t *rows, const float *values, int32_t *to_rows, float *to_values,
                      uint8_t *goes_left, int32_t *spare_rows, float *spare_values, ptrdiff_t n, int features,
                      ptrdiff_t start, ptrdiff_t end, ptrdiff_t nl);

/* out[i*outputs + output] += scale * (the leaf value of row i of x [n, features] in one tree): tree-grower.ts'
   Tree arrays of `nodes` entries. Returns 0, or -1 on a malformed tree. */
int ut_tree_predict(const int32_t *feature, const double *threshold, const int32_t *left, const int32_t *right,
                    const double *value, ptrdiff_t nodes, const float *x, ptrdiff_t n, int features, double scale,
                    double *out, int outputs, int output);

/* The multinomial logistic objective of src/metrics/logistic-regression.ts at weights w [k][features + 1]
   (the last column the intercepts): *loss_out = c * sum_i row_weight_i * -log softmax(W x_i + b)[y_i] +
   ridge/2 |W|^2, grad [k][features + 1] its gradient. x holds the features as columns [features][n].
   Returns 0, -1 on a label outside [0, k), -2 when out of memory. */
int ut_logistic_objective(const double *x, const int32_t *y, const double *row_weight, ptrdiff_t n,
                          int features, int k, double c, double ridge, const double *w, double *grad,
                          double *loss_out);

#endif
