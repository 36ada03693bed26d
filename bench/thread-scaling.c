/*
 * Does this machine scale from 1 to 2 threads? An embarrassingly parallel compute-bound loop (AVX2 FMA
 * chains in registers, no memory traffic) and a memory-bound one (a stream-triad a = b + s*c over arrays
 * far larger than the caches), each run on 1 and on T threads with no shared data.
 * Build and run: gcc -O2 -mavx2 -mfma -pthread bench/thread-scaling.c -o /tmp/thread-scaling && /tmp/thread-scaling
 * Prints one JSON line per loop and thread count.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FMA_ITERATIONS 4000000000L /* per thread: 10 chains x 8 lanes x 2 FLOP each */
#define TRIAD_FLOATS (32L << 20)  /* 128 MiB per array, 3 arrays per thread */
#define TRIAD_REPEATS 10

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *fma_loop(void *out) {
  /* ten independent chains in named registers (an array of them is kept on the stack by gcc) */
  __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3),
         a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7),
         a8 = _mm256_set1_ps(8), a9 = _mm256_set1_ps(9);
  for (long n = 0; n < FMA_ITERATIONS / 10; n++) {
    a0 = _mm256_fmadd_ps(a0, x, y);
    a1 = _mm256_fmadd_ps(a1, x, y);
    a2 = _mm256_fmadd_ps(a2, x, y);
    a3 = _mm256_fmadd_ps(a3, x, y);
    a4 = _mm256_fmadd_ps(a4, x, y);
    a5 = _mm256_fmadd_ps(a5, x, y);
    a6 = _mm256_fmadd_ps(a6, x, y);
    a7 = _mm256_fmadd_ps(a7, x, y);
    a8 = _mm256_fmadd_ps(a8, x, y);
    a9 = _mm256_fmadd_ps(a9, x, y);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(a8, a9));
  float v[8];
  _mm256_storeu_ps(v, s);
  *(float *)out = v[0];
  return NULL;
}

typedef struct {
  float *a, *b, *c;
} triad_arrays;

static void *triad_loop(void *arg) {
  triad_arrays *t = arg;
  for (int r = 0; r < TRIAD_REPEATS; r++)
    for (long i = 0; i < TRIAD_FLOATS; i++) t->a[i] = t->b[i] + 3.0f * t->c[i];
  return NULL;
}

static double run(int threads, void *(*loop)(void *), void **args) {
  pthread_t ids[64];
  double start = now();
  for (int t = 1; t < threads; t++) pthread_create(&ids[t], NULL, loop, args[t]);
  loop(args[0]);
  for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
  return now() - start;
}

int main(int argc, char **argv) {
  int most = argc > 1 ? atoi(argv[1]) : 2;
  float sinks[64];
  triad_arrays arrays[64];
  void *fma_args[64], *triad_args[64];
  for (int t = 0; t < most; t++) {
    fma_args[t] = &sinks[t];
    arrays[t].a = malloc(4 * TRIAD_FLOATS);
    arrays[t].b = malloc(4 * TRIAD_FLOATS);
    arrays[t].c = malloc(4 * TRIAD_FLOATS);
    for (long i = 0; i < TRIAD_FLOATS; i++) arrays[t].a[i] = arrays[t].b[i] = arrays[t].c[i] = 1.0f;
    triad_args[t] = &arrays[t];
  }
  for (int threads = 1; threads <= most; threads = threads == 1 ? most : most + 1) {
    double s = run(threads, fma_loop, fma_args);
    printf("{\"loop\":\"fma\",\"threads\":%d,\"seconds\":%.3f,\"gflops\":%.1f}\n", threads, s,
           threads * FMA_ITERATIONS * 16.0 / s / 1e9);
    s = run(threads, triad_loop, triad_args);
    printf("{\"loop\":\"triad\",\"threads\":%d,\"seconds\":%.3f,\"gbytes_per_s\":%.1f}\n", threads, s,
           threads * 12.0 * TRIAD_FLOATS * TRIAD_REPEATS / s / 1e9);
    fflush(stdout);
  }
  return 0;
}
