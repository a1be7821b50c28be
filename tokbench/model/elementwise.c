/* The model's elementwise work on the CPU, fused: one pass over memory instead of one per torch op.
 *
 * Built at first use by elementwise.py (plain C, no torch headers). fp32, row-major, every row
 * independent of the others, so a token's result never depends on what else is in the step.
 * Compiled with -ffp-contract=off: a*b + c stays two roundings, as in torch's separate ops, so the
 * residual add and RoPE give torch's bits exactly; RMSNorm's sum of squares and SiLU's exp differ
 * from torch's only in the last bits (another summation order, another exp polynomial).
 *
 * Large calls are split over OpenMP threads (the same libgomp as torch's, so one thread pool);
 * small ones (a decode step's few rows) run on the calling thread, where a fork would cost more
 * than the work.
 */
#include <math.h>
#include <stdint.h>

#include "native_vector.h"

#define PARALLEL_MIN 32768 /* elements; below this one thread is faster than waking the others */

static inline float sum_squares(const float *x, int64_t n) {
    v8 a = {0}, b = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const v8 u = load8(x + i), w = load8(x + i + 8);
        a += u * u;
        b += w * w;
    }
    for (; i + 8 <= n; i += 8) {
        const v8 u = load8(x + i);
        a += u * u;
    }
    a += b;
    float s = 0.0f;
    for (int k = 0; k < 8; k++)
        s += a[k];
    for (; i < n; i++)
        s += x[i] * x[i];
    return s;
}

/* out = w * (x * 1/sqrt(mean(x^2) + eps)), torch's order of operations. */
static inline void norm_row(const float *x, const float *w, float *out, int64_t dim, float eps) {
    const float r = 1.0f / sqrtf(sum_squares(x, dim) / (float)dim + eps);
    for (int64_t i = 0; i < dim; i++)
        out[i] = w[i] * (x[i] * r);
}

/* out[r] = rms_norm(x[r]); with delta: first x[r] += delta[r] in place (the residual add). */
void add_rms_norm(float *x, const float *delta, const float *w, float *out, int64_t rows, int64_t dim, float eps,
                  int threads) {
    #pragma omp parallel for schedule(static) num_threads(threads) if (rows * dim >= PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        float *xr = x + r * dim;
        if (delta) {
            const float *dr = delta + r * dim;
            for (int64_t i = 0; i < dim; i++)
                xr[i] = xr[i] + dr[i];
        }
        norm_row(xr, w, out + r * dim, dim, eps);
    }
}

/* Rotary embedding in place, rotate-half convention: for each token, the first `heads` heads of
 * `dim` floats starting at x + t * row_stride are rotated by the angles of positions[t]
 * (cos/sin tables [max_len, dim], each half repeated, as RotaryTable builds them). */
void rope(float *x, int64_t row_stride, const int64_t *positions, const float *cos_table, const float *sin_table,
          int64_t tokens, int64_t heads, int64_t dim, int threads) {
    const int64_t half = dim / 2;
    #pragma omp parallel for schedule(static) num_threads(threads) if (tokens * heads * dim >= PARALLEL_MIN)
    for (int64_t t = 0; t < tokens; t++) {
        const float *c = cos_table + positions[t] * dim, *s = sin_table + positions[t] * dim;
        for (int64_t h = 0; h < heads; h++) {
            float *y = x + t * row_stride + h * dim;
            for (int64_t i = 0; i < half; i++) {
                const float a = y[i], b = y[i + half];
                y[i] = a * c[i] - b * s[i];
                y[i + half] = b * c[i + half] + a * s[i + half];
            }
        }
    }
}

/* out[r] = silu(gate) * up, where row r of gate_up is [gate (inter) | up (inter)]. */
void silu_mul(const float *gate_up, float *out, int64_t rows, int64_t inter, int threads) {
    #pragma omp parallel for schedule(static) num_threads(threads) if (rows * inter >= PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *g = gate_up + r * 2 * inter, *u = g + inter;
        float *o = out + r * inter;
        for (int64_t i = 0; i < inter; i++) {
            const float silu = g[i] / (1.0f + exp_clamped(-g[i]));
            o[i] = silu * u[i];
        }
    }
}

/* out[r] = index of the largest value of row r; the first one on ties, the first NaN if any (torch's rule).
 * One pass: each vector lane keeps its maximum and where it first saw it; the lanes are merged at
 * the end (smallest index among the lanes holding the maximum). A NaN sends the row to a scalar scan. */
static int64_t argmax_row(const float *row, int64_t cols) {
    const v8 neg_inf = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
    v8 m0 = neg_inf, m1 = neg_inf;
    v8i i0 = {0}, i1 = {0}, nan = {0};
    v8i at = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8i step8 = {8, 8, 8, 8, 8, 8, 8, 8}, step16 = step8 + step8;
    int64_t j = 0;
    for (; j + 16 <= cols && cols < INT32_MAX; j += 16) {
        const v8 a = load8(row + j), b = load8(row + j + 8);
        const v8i ga = a > m0, gb = b > m1;
        m0 = vmax8(a, m0);
        m1 = vmax8(b, m1);
        i0 = (at & ga) | (i0 & ~ga);
        i1 = ((at + step8) & gb) | (i1 & ~gb);
        nan |= (a != a) | (b != b);
        at += step16;
    }
    float best = -INFINITY;
    int64_t idx = 0;
    int any_nan = 0;
    if (j > 0) {
        best = m0[0];
        idx = i0[0];
        for (int k = 0; k < 8; k++) {
            any_nan |= nan[k] != 0;
            if (m0[k] > best || (m0[k] == best && i0[k] < idx)) best = m0[k], idx = i0[k];
            if (m1[k] > best || (m1[k] == best && i1[k] < idx)) best = m1[k], idx = i1[k];
        }
    }
    for (; j < cols; j++) {
        if (row[j] != row[j]) any_nan = 1;
        else if (row[j] > best || j == 0) best = row[j], idx = j;
    }
    if (any_nan) {
        idx = 0;
        while (row[idx] == row[idx])
            idx++;
    }
    return idx;
}

void argmax_rows(const float *x, int64_t *out, int64_t rows, int64_t cols, int threads) {
    #pragma omp parallel for schedule(static) num_threads(threads) if (rows * cols >= 8 * PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++)
        out[r] = argmax_row(x + r * cols, cols);
}
