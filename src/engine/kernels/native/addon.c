/*
 * The N-API face of the native kernels. Built without AVX flags, so loading it is safe on any x86-64:
 * `avx2()` reports whether this CPU (and its OS) can run the kernels, and every kernel entry refuses to
 * run otherwise. Arguments are Float32Arrays (views on the wasm heap) and integers; every length is
 * checked against the geometry before a kernel touches memory. N-API modules are context-aware, so
 * each worker thread loads its own instance.
 */
#include <node_api.h>
#include <stdint.h>

#include "kernels.h"

static int cpu_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "untangle native: N-API call failed");       \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

#define REQUIRE(cond, message)                                                 \
  do {                                                                         \
    if (!(cond)) {                                                             \
      napi_throw_range_error(env, NULL, "untangle native: " message);          \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/* A typed array argument of the given kind: its data and length; NULL data for `null` when allowed. */
static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length,
                       int nullable) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (nullable && (type == napi_null || type == napi_undefined)) {
    *data = NULL;
    *length = 0;
    return 1;
  }
  bool is_typed;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type kind;
  if (napi_get_typedarray_info(env, value, &kind, length, data, NULL, NULL) != napi_ok) return 0;
  return kind == want;
}

static int float_array(napi_env env, napi_value value, float **data, size_t *length, int nullable) {
  return typed_array(env, value, napi_float32_array, (void **)data, length, nullable);
}

static int get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc == expected;
}

static int int_arg(napi_env env, napi_value value, int64_t *out) {
  return napi_get_value_int64(env, value, out) == napi_ok;
}

/* conv_geometry from an Int32Array of its 13 fields, each checked to be sane. */
static int geometry_arg(napi_env env, napi_value value, conv_geometry *g) {
  int32_t *f;
  size_t length;
  if (!typed_array(env, value, napi_int32_array, (void **)&f, &length, 0) || length != 13) return 0;
  *g = (conv_geometry){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]};
  for (int i = 0; i < 11; i++)
    if (f[i] < 0) return 0;
  if (g->sh < 1 || g->sw < 1 || g->kh < 1 || g->kw < 1) return 0;
  return 1;
}

static size_t image_size(int n, int h, int w, int c) { return (size_t)n * h * w * c; }

static napi_value js_avx2(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_get_boolean(env, cpu_ok(), &result));
  return result;
}

/* conv2d(x, w, bias | null, relu 0|1, y, geometry, threads) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  float *x, *w, *bias, *y;
  size_t nx, nw, nb, ny;
  int64_t relu, threads;
  conv_geometry g;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 7, argv), "conv2d takes 7 arguments");
  REQUIRE(float_array(env, argv[0], &x, &nx, 0) && float_array(env, argv[1], &w, &nw, 0) &&
              float_array(env, argv[2], &bias, &nb, 1) && float_array(env, argv[4], &y, &ny, 0),
          "conv2d expects Float32Arrays");
  REQUIRE(int_arg(env, argv[3], &relu) && geometry_arg(env, argv[5], &g), "conv2d: bad geometry");
  REQUIRE(int_arg(env, argv[6], &threads) && threads >= 1 && threads <= 64, "conv2d: threads must be 1..64");
  REQUIRE(nx == image_size(g.n, g.h, g.w, g.ci) && nw == image_size(g.kh, g.kw, g.ci, g.co) &&
              ny == image_size(g.n, g.oh, g.ow, g.co) && (bias == NULL || nb == (size_t)g.co),
          "conv2d: array sizes do not match the geometry");
  REQUIRE(ut_conv2d(&g, x, w, bias, relu != 0, y, (int)threads) == 0, "conv2d: out of memory");
  return NULL;
}

/*
 * conv2dFilterGrad(x, dy, dw, geometry): dw from x [n,h,w,ci] and dy [n,oh,ow,co];
 * conv2dInputGrad(dy, w, dx, geometry): dx from dy [n,oh,ow,co] and w [kh,kw,ci,co].
 */
static napi_value conv_grad(napi_env env, napi_callback_info info, int filter) {
  napi_value argv[4];
  float *in[2], *out;
  size_t nin[2], nout;
  conv_geometry g;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 4, argv), "conv gradients take 4 arguments");
  REQUIRE(float_array(env, argv[0], &in[0], &nin[0], 0) && float_array(env, argv[1], &in[1], &nin[1], 0) &&
              float_array(env, argv[2], &out, &nout, 0),
          "conv gradients expect Float32Arrays");
  REQUIRE(geometry_arg(env, argv[3], &g), "conv gradient: bad geometry");
  const size_t image = image_size(g.n, g.h, g.w, g.ci), grad = image_size(g.n, g.oh, g.ow, g.co);
  const size_t weights = image_size(g.kh, g.kw, g.ci, g.co);
  const size_t want[3] = {filter ? image : grad, filter ? grad : weights, filter ? weights : image};
  REQUIRE(nin[0] == want[0] && nin[1] == want[1] && nout == want[2],
          "conv gradient: array sizes do not match the geometry");
  const int failed = filter ? ut_conv2d_filter_grad(&g, in[0], in[1], out) : ut_conv2d_input_grad(&g, in[0], in[1], out);
  REQUIRE(failed == 0, "conv gradient: out of memory");
  return NULL;
}

static napi_value js_conv2d_filter_grad(napi_env env, napi_callback_info info) { return conv_grad(env, info, 1); }
static napi_value js_conv2d_input_grad(napi_env env, napi_callback_info info) { return conv_grad(env, info, 0); }

/* matmul(a, b, c, batch, m, n, k, transposeA, transposeB, broadcastA, broadcastB): c[i] = a[i] b[i] */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  float *a, *b, *c;
  size_t na, nb, nc;
  int64_t d[8];
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 11, argv), "matmul takes 11 arguments");
  REQUIRE(float_array(env, argv[0], &a, &na, 0) && float_array(env, argv[1], &b, &nb, 0) &&
              float_array(env, argv[2], &c, &nc, 0),
          "matmul expects Float32Arrays");
  for (int i = 0; i < 8; i++) REQUIRE(int_arg(env, argv[3 + i], &d[i]) && d[i] >= 0, "matmul: bad sizes");
  const int64_t batch = d[0], m = d[1], n = d[2], k = d[3];
  const int ta = d[4] != 0, tb = d[5] != 0, one_a = d[6] != 0, one_b = d[7] != 0;
  REQUIRE(m < INT32_MAX && n < INT32_MAX && k < INT32_MAX, "matmul: sizes too large");
  REQUIRE(na == (size_t)((one_a ? 1 : batch) * m * k) && nb == (size_t)((one_b ? 1 : batch) * k * n) &&
              nc == (size_t)(batch * m * n),
          "matmul: array sizes do not match");
  for (int64_t i = 0; i < batch; i++) {
    const float *ai = a + (one_a ? 0 : i * m * k);
    const float *bi = b + (one_b ? 0 : i * k * n);
    ut_sgemm((int)m, (int)n, (int)k, ai, ta ? 1 : k, ta ? m : 1, bi, tb ? 1 : n, tb ? k : 1, c + i * m * n, n,
             0);
  }
  return NULL;
}

/* sumLeading(x, out, reduced, kept) / sumTrailing(x, out, kept, reduced) */
static napi_value sum_common(napi_env env, napi_callback_info info, int leading) {
  napi_value argv[4];
  float *x, *out;
  size_t nx, nout;
  int64_t p, q;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 4, argv), "sums take 4 arguments");
  REQUIRE(float_array(env, argv[0], &x, &nx, 0) && float_array(env, argv[1], &out, &nout, 0),
          "sums expect Float32Arrays");
  REQUIRE(int_arg(env, argv[2], &p) && int_arg(env, argv[3], &q) && p >= 0 && q >= 0, "sum: bad sizes");
  REQUIRE(nx == (size_t)(p * q) && nout == (size_t)(leading ? q : p), "sum: array sizes do not match");
  if (leading)
    ut_sum_leading(x, p, q, out);
  else
    ut_sum_trailing(x, p, q, out);
  return NULL;
}

static napi_value js_sum_leading(napi_env env, napi_callback_info info) { return sum_common(env, info, 1); }
static napi_value js_sum_trailing(napi_env env, napi_callback_info info) { return sum_common(env, info, 0); }

/* binary(op, a, b, out): out = a op b, b the same size as a or repeated along a's leading axes */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *a, *b, *out;
  size_t na, nb, nout;
  int64_t op;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 4, argv), "binary takes 4 arguments");
  REQUIRE(int_arg(env, argv[0], &op) && op >= UT_ADD && op <= UT_MUL, "binary: unknown operation");
  REQUIRE(float_array(env, argv[1], &a, &na, 0) && float_array(env, argv[2], &b, &nb, 0) &&
              float_array(env, argv[3], &out, &nout, 0),
          "binary expects Float32Arrays");
  REQUIRE(nb > 0 && na % nb == 0 && nout == na, "binary: array sizes do not match");
  ut_binary((int)op, a, b, out, (ptrdiff_t)na, (ptrdiff_t)nb);
  return NULL;
}

/* unary(op, x, out, alpha): out = f(x) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  float *x, *out;
  size_t nx, nout;
  int64_t op;
  double alpha;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 4, argv), "unary takes 4 arguments");
  REQUIRE(int_arg(env, argv[0], &op) && op >= UT_RELU && op <= UT_SOFTPLUS, "unary: unknown operation");
  REQUIRE(float_array(env, argv[1], &x, &nx, 0) && float_array(env, argv[2], &out, &nout, 0),
          "unary expects Float32Arrays");
  REQUIRE(napi_get_value_double(env, argv[3], &alpha) == napi_ok, "unary: alpha must be a number");
  REQUIRE(nout == nx, "unary: array sizes do not match");
  ut_unary((int)op, x, out, (ptrdiff_t)nx, (float)alpha);
  return NULL;
}

/* fused(op, out, a, b[, c]): out = the fused op of a, b (and c), Float32Arrays of one size */
static napi_value js_fused(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  const float *in[3];
  float *out;
  size_t n, len;
  int64_t op;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 4 && argc <= 5,
          "fused takes 4 or 5 arguments");
  REQUIRE(int_arg(env, argv[0], &op) && op >= UT_RELU_GRAD && op <= UT_BERNOULLI_NLL_GRAD,
          "fused: unknown operation");
  REQUIRE(argc == (op == UT_BERNOULLI_NLL_GRAD ? 5u : 4u), "fused: wrong number of inputs for the operation");
  REQUIRE(float_array(env, argv[1], &out, &n, 0), "fused expects Float32Arrays");
  for (size_t k = 2; k < argc; k++) {
    float *data;
    REQUIRE(float_array(env, argv[k], &data, &len, 0), "fused expects Float32Arrays");
    REQUIRE(len == n, "fused: array sizes do not match");
    in[k - 2] = data;
  }
  ut_fused((int)op, in, out, (ptrdiff_t)n);
  return NULL;
}

/* weightedSum(parts: Float32Array[], weights: Float64Array, out): out = sum_j weights[j] * parts[j] */
static napi_value js_weighted_sum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  enum { MAX_PARTS = 64 };
  const float *parts[MAX_PARTS];
  double *weights;
  float *out;
  size_t nw, nout;
  uint32_t count;
  bool is_array;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 3, argv), "weightedSum takes 3 arguments");
  REQUIRE(napi_is_array(env, argv[0], &is_array) == napi_ok && is_array &&
              napi_get_array_length(env, argv[0], &count) == napi_ok && count >= 1 && count <= MAX_PARTS,
          "weightedSum: parts must be an array of 1 to 64 Float32Arrays");
  REQUIRE(typed_array(env, argv[1], napi_float64_array, (void **)&weights, &nw, 0) && nw == count &&
              float_array(env, argv[2], &out, &nout, 0),
          "weightedSum expects a Float64Array of weights, one per part, and a Float32Array out");
  for (uint32_t j = 0; j < count; j++) {
    napi_value part;
    float *data;
    size_t n;
    REQUIRE(napi_get_element(env, argv[0], j, &part) == napi_ok && float_array(env, part, &data, &n, 0) &&
                n == nout,
            "weightedSum: every part must be a Float32Array as long as out");
    parts[j] = data;
  }
  ut_weighted_sum(parts, weights, (int)count, out, (ptrdiff_t)nout);
  return NULL;
}

/* adam(theta, g, m, v, constants: Float64Array [lr_t, beta1, beta2, epsilon, 1 - beta1, 1 - beta2]) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  float *a[4];
  size_t n[4], nc;
  double *c;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 5, argv), "adam takes 5 arguments");
  for (int i = 0; i < 4; i++) REQUIRE(float_array(env, argv[i], &a[i], &n[i], 0), "adam expects Float32Arrays");
  REQUIRE(typed_array(env, argv[4], napi_float64_array, (void **)&c, &nc, 0) && nc == 6,
          "adam: constants must be a Float64Array of 6");
  REQUIRE(n[1] == n[0] && n[2] == n[0] && n[3] == n[0], "adam: array sizes do not match");
  ut_adam(a[0], a[1], a[2], a[3], (ptrdiff_t)n[0], c);
  return NULL;
}

static int double_arg(napi_env env, napi_value value, double *out) {
  return napi_get_value_double(env, value, out) == napi_ok;
}

/* treeScan(values: F32, rows: I32, r: F64, n, features, start, end, sum, bestImprovement: F64,
   bestLeft: I32, bestThreshold: F64) */
static napi_value js_tree_scan(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  float *values;
  int32_t *rows, *best_left;
  double *r, *best_improvement, *best_threshold, sum;
  size_t nv, nrows, nr, nb[3];
  int64_t n, features, start, end;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 11, argv), "treeScan takes 11 arguments");
  REQUIRE(float_array(env, argv[0], &values, &nv, 0) &&
              typed_array(env, argv[1], napi_int32_array, (void **)&rows, &nrows, 0) &&
              typed_array(env, argv[2], napi_float64_array, (void **)&r, &nr, 0) &&
              typed_array(env, argv[8], napi_float64_array, (void **)&best_improvement, &nb[0], 0) &&
              typed_array(env, argv[9], napi_int32_array, (void **)&best_left, &nb[1], 0) &&
              typed_array(env, argv[10], napi_float64_array, (void **)&best_threshold, &nb[2], 0),
          "treeScan: wrong array types");
  REQUIRE(int_arg(env, argv[3], &n) && int_arg(env, argv[4], &features) && int_arg(env, argv[5], &start) &&
              int_arg(env, argv[6], &end) && double_arg(env, argv[7], &sum),
          "treeScan: n, features, start, end and sum must be numbers");
  REQUIRE(n > 0 && features > 0 && features <= 1 << 20 && 0 <= start && start < end && end <= n,
          "treeScan: bad segment");
  REQUIRE(nv >= (size_t)(features * n) && nrows >= (size_t)(features * n) && nr >= (size_t)n &&
              nb[0] >= (size_t)features && nb[1] >= (size_t)features && nb[2] >= (size_t)features,
          "treeScan: arrays too short");
  REQUIRE(ut_tree_scan(values, rows, r, (ptrdiff_t)n, (int)features, (ptrdiff_t)start, (ptrdiff_t)end, sum,
                       best_improvement, best_left, best_threshold) == 0,
          "treeScan: a row index is out of range");
  return NULL;
}

/* treePartition(split, rows: I32, values: F32, toRows: I32, toValues: F32, goesLeft: U8, spareRows: I32,
   spareValues: F32, n, features, start, end, nl) */
static napi_value js_tree_partition(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  int32_t *rows, *to_rows, *spare_rows;
  float *values, *to_values, *spare_values;
  uint8_t *goes_left;
  size_t len[7];
  int64_t split, n, features, start, end, nl;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 13, argv), "treePartition takes 13 arguments");
  REQUIRE(typed_array(env, argv[1], napi_int32_array, (void **)&rows, &len[0], 0) &&
              float_array(env, argv[2], &values, &len[1], 0) &&
              typed_array(env, argv[3], napi_int32_array, (void **)&to_rows, &len[2], 0) &&
              float_array(env, argv[4], &to_values, &len[3], 0) &&
              typed_array(env, argv[5], napi_uint8_array, (void **)&goes_left, &len[4], 0) &&
              typed_array(env, argv[6], napi_int32_array, (void **)&spare_rows, &len[5], 0) &&
              float_array(env, argv[7], &spare_values, &len[6], 0),
          "treePartition: wrong array types");
  REQUIRE(int_arg(env, argv[0], &split) && int_arg(env, argv[8], &n) && int_arg(env, argv[9], &features) &&
              int_arg(env, argv[10], &start) && int_arg(env, argv[11], &end) && int_arg(env, argv[12], &nl),
          "treePartition: split, n, features, start, end and nl must be integers");
  REQUIRE(n > 0 && features > 0 && features <= 1 << 20 && 0 <= split && split < features && 0 <= start &&
              start <= end && end <= n && 0 <= nl && nl <= end - start,
          "treePartition: bad segment");
  const size_t total = (size_t)(features * n);
  REQUIRE(len[0] >= total && len[1] >= total && len[2] >= total && len[3] >= total && len[4] >= (size_t)n &&
              len[5] >= (size_t)n && len[6] >= (size_t)n,
          "treePartition: arrays too short");
  REQUIRE(ut_tree_partition((int)split, rows, values, to_rows, to_values, goes_left, spare_rows, spare_values,
                            (ptrdiff_t)n, (int)features, (ptrdiff_t)start, (ptrdiff_t)end, (ptrdiff_t)nl) == 0,
          "treePartition: a row index is out of range");
  return NULL;
}

/* treePredict(feature: I32, threshold: F64, left: I32, right: I32, value: F64, x: F32, n, features, scale,
   out: F64, outputs, output) */
static napi_value js_tree_predict(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  int32_t *feature, *left, *right;
  double *threshold, *value, *out, scale;
  float *x;
  size_t len[7];
  int64_t n, features, outputs, output;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 12, argv), "treePredict takes 12 arguments");
  REQUIRE(typed_array(env, argv[0], napi_int32_array, (void **)&feature, &len[0], 0) &&
              typed_array(env, argv[1], napi_float64_array, (void **)&threshold, &len[1], 0) &&
              typed_array(env, argv[2], napi_int32_array, (void **)&left, &len[2], 0) &&
              typed_array(env, argv[3], napi_int32_array, (void **)&right, &len[3], 0) &&
              typed_array(env, argv[4], napi_float64_array, (void **)&value, &len[4], 0) &&
              float_array(env, argv[5], &x, &len[5], 0) &&
              typed_array(env, argv[9], napi_float64_array, (void **)&out, &len[6], 0),
          "treePredict: wrong array types");
  REQUIRE(int_arg(env, argv[6], &n) && int_arg(env, argv[7], &features) && double_arg(env, argv[8], &scale) &&
              int_arg(env, argv[10], &outputs) && int_arg(env, argv[11], &output),
          "treePredict: n, features, scale, outputs and output must be numbers");
  REQUIRE(n >= 0 && features > 0 && outputs > 0 && 0 <= output && output < outputs && len[0] > 0 &&
              len[1] == len[0] && len[2] == len[0] && len[3] == len[0] && len[4] == len[0] &&
              len[5] >= (size_t)(n * features) && len[6] >= (size_t)(n * outputs),
          "treePredict: array sizes do not match");
  REQUIRE(ut_tree_predict(feature, threshold, left, right, value, (ptrdiff_t)len[0], x, (ptrdiff_t)n,
                          (int)features, scale, out, (int)outputs, (int)output) == 0,
          "treePredict: a malformed tree");
  return NULL;
}

/* logisticObjective(x: F64 [features][n], y: I32, rowWeight: F64, n, features, k, c, ridge, w: F64,
   grad: F64) -> the loss */
static napi_value js_logistic_objective(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  double *x, *row_weight, *w, *grad, c, ridge, loss;
  int32_t *y;
  size_t nx, ny, nrw, nw, ng;
  int64_t n, features, k;
  REQUIRE(cpu_ok(), "this CPU lacks AVX2/FMA");
  REQUIRE(get_args(env, info, 10, argv), "logisticObjective takes 10 arguments");
  REQUIRE(typed_array(env, argv[0], napi_float64_array, (void **)&x, &nx, 0) &&
              typed_array(env, argv[1], napi_int32_array, (void **)&y, &ny, 0) &&
              typed_array(env, argv[2], napi_float64_array, (void **)&row_weight, &nrw, 0) &&
              typed_array(env, argv[8], napi_float64_array, (void **)&w, &nw, 0) &&
              typed_array(env, argv[9], napi_float64_array, (void **)&grad, &ng, 0),
          "logisticObjective: wrong array types");
  REQUIRE(int_arg(env, argv[3], &n) && int_arg(env, argv[4], &features) && int_arg(env, argv[5], &k) &&
              double_arg(env, argv[6], &c) && double_arg(env, argv[7], &ridge),
          "logisticObjective: n, features, k, c and ridge must be numbers");
  REQUIRE(n > 0 && features > 0 && features <= 1 << 20 && k > 0 && k <= 1 << 20,
          "logisticObjective: bad sizes");
  REQUIRE(nx >= (size_t)(features * n) && ny >= (size_t)n && nrw >= (size_t)n &&
              nw >= (size_t)(k * (features + 1)) && ng >= (size_t)(k * (features + 1)),
          "logisticObjective: arrays too short");
  const int status = ut_logistic_objective(x, y, row_weight, (ptrdiff_t)n, (int)features, (int)k, c, ridge, w,
                                           grad, &loss);
  REQUIRE(status != -1, "logisticObjective: a label is outside [0, k)");
  REQUIRE(status == 0, "logisticObjective: out of memory");
  napi_value result;
  CHECK(napi_create_double(env, loss, &result));
  return result;
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor functions[] = {
      {"avx2", NULL, js_avx2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dFilterGrad", NULL, js_conv2d_filter_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dInputGrad", NULL, js_conv2d_input_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumLeading", NULL, js_sum_leading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumTrailing", NULL, js_sum_trailing, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fused", NULL, js_fused, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unary", NULL, js_unary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"weightedSum", NULL, js_weighted_sum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"treeScan", NULL, js_tree_scan, NULL, NULL, NULL, napi_enumerable, NULL},
      {"treePartition", NULL, js_tree_partition, NULL, NULL, NULL, napi_enumerable, NULL},
      {"treePredict", NULL, js_tree_predict, NULL, NULL, NULL, napi_enumerable, NULL},
      {"logisticObjective", NULL, js_logistic_objective, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions) != napi_ok)
    return NULL;
  return exports;
}
