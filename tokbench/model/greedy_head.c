/* The greedy token of each row without the full fp32 LM head: an int8 screen, then an exact recheck.
 *
 * Built at first use by greedy_head.py (plain C, no torch headers). For a row x and the LM head's
 * rows w_j, the int8 product (exact integer sums, scaled) gives s_j with a proven bound
 *     |x.w_j - s_j| <= |x~| |w_j - w~_j| + |x - x~| |w_j|        (Cauchy-Schwarz, both terms)
 * where x~, w~_j are the dequantised int8 vectors. The fp32 logit itself differs from x.w_j by at
 * most gamma_K |x| |w_j| (K roundings of a dot product), so with h_j the sum of all three terms the
 * fp32 argmax lies among the j whose s_j + h_j reaches max_i (s_i - h_i). Only those are computed in
 * fp32, as a sequential fused multiply-add chain over the hidden size: the order oneDNN's fp32
 * matmul uses, so the recheck gives its bits (tests check that, and the tokens, against the full
 * head). A row with anything non-finite is computed in full the same way.
 *
 * Every row depends on itself alone, so batching never changes a token. Rows are split over OpenMP
 * threads when there are enough of them.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "native_vector.h"

#define PARALLEL_MIN_ROWS 4
#define UNIT_ROUNDOFF 5.9604645e-8f /* 2^-24 */

enum { SCALE, NORM_Q, NORM_ERR, NORM_X, STATS };

/* x [rows, dim] -> q [rows, dim] int8 with a per-row scale (max |x| / 127), and per row:
 * the scale, |x~| (the dequantised row's norm), |x - x~| and |x|. A non-finite row gets scale 0,
 * which tells screened_argmax to compute that row in full. */
void quantize_rows(const float *x, int8_t *q, float *stats, int64_t rows, int64_t dim) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * dim;
        int8_t *qr = q + r * dim;
        float *st = stats + r * STATS;
        float amax = 0.0f;
        int finite = 1;
        for (int64_t i = 0; i < dim; i++) {
            const float a = fabsf(xr[i]);
            finite &= isfinite(a);
            amax = a > amax ? a : amax;
        }
        if (!finite) {
            for (int64_t i = 0; i < dim; i++) qr[i] = 0;
            st[SCALE] = st[NORM_Q] = st[NORM_ERR] = st[NORM_X] = 0.0f;
            continue;
        }
        const float scale = amax > 0.0f ? amax / 127.0f : 1.0f;
        double nq = 0.0, ne = 0.0, nx = 0.0;
        for (int64_t i = 0; i < dim; i++) {
            float v = rintf(xr[i] / scale);
            v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
            qr[i] = (int8_t)v;
            const double deq = (double)v * scale, e = (double)xr[i] - deq;
            nq += deq * deq;
            ne += e * e;
            nx += (double)xr[i] * xr[i];
        }
        st[SCALE] = scale;
        st[NORM_Q] = (float)sqrt(nq);
        st[NORM_ERR] = (float)sqrt(ne);
        st[NORM_X] = (float)sqrt(nx);
    }
}

/* The logit oneDNN's fp32 matmul computes: one fused multiply-add after another, in order. */
static inline float exact_logit(const float *x, const float *w, int64_t dim) {
    float acc = 0.0f;
    for (int64_t i = 0; i < dim; i++)
        acc = fmaf(x[i], w[i], acc);
    return acc;
}

/* argmax over every logit, torch's rule: the first NaN, else the first of the largest. */
static int64_t full_argmax(const float *x, const float *w, int64_t vocab, int64_t dim) {
    float best = -INFINITY;
    int64_t idx = 0;
    for (int64_t j = 0; j < vocab; j++) {
        const float v = exact_logit(x, w + j * dim, dim);
        if (v != v) return j;
        if (v > best) best = v, idx = j;
    }
    return idx;
}

static inline v8 splat8(float v) {
    return (v8){v, v, v, v, v, v, v, v};
}

static inline int any8(v8i m) {
    int64_t w[4];
    __builtin_memcpy(w, &m, sizeof w);
    return (w[0] | w[1] | w[2] | w[3]) != 0;
}

/* s_j (the int8 logit) and h_j (how far the fp32 logit may be from it) for j .. j + width - 1;
 * lanes past the vocabulary get s = -inf, h = 0 (they never reach the floor). */
static inline void bounds8(const int32_t *ar, const float *w_scale, const float *w_err, const float *w_norm,
                           float scale, float a, float b, int64_t j, int64_t width, v8 *s, v8 *h) {
    const float relative = 1.0f / 1048576.0f;
    if (width == 8) {
        v8i q;
        __builtin_memcpy(&q, ar + j, sizeof q);
        const v8 sj = __builtin_convertvector(q, v8) * (splat8(scale) * load8(w_scale + j));
        const v8i magnitude = (v8i)sj & 0x7fffffff;
        *s = sj;
        *h = splat8(a) * load8(w_err + j) + splat8(b) * load8(w_norm + j) + (v8)magnitude * relative;
        return;
    }
    for (int k = 0; k < 8; k++) {
        if (k < width) {
            const float sj = (float)ar[j + k] * (scale * w_scale[j + k]);
            (*s)[k] = sj;
            (*h)[k] = a * w_err[j + k] + b * w_norm[j + k] + fabsf(sj) * relative;
        } else {
            (*s)[k] = -INFINITY;
            (*h)[k] = 0.0f;
        }
    }
}

/* Over the row's int8 products, in place: writes s_j + h_j (the most the fp32 logit can be) over
 * them and returns max over j of s_j - h_j (the least the best one can be): no j whose most is below
 * that can win. One pass over the products and the vocabulary's bounds; the second pass then reads
 * one array instead of four. */
static float bound_row(int32_t *ar, const float *w_scale, const float *w_err, const float *w_norm, float scale,
                       float a, float b, int64_t vocab) {
    v8 floor8 = splat8(-INFINITY);
    for (int64_t j = 0; j < vocab; j += 8) {
        const int64_t width = vocab - j < 8 ? vocab - j : 8;
        v8 s, h;
        bounds8(ar, w_scale, w_err, w_norm, scale, a, b, j, width, &s, &h);
        floor8 = vmax8(s - h, floor8);
        const v8 high = s + h;
        if (width == 8)
            __builtin_memcpy(ar + j, &high, sizeof high); /* a constant size: one vector store */
        else
            __builtin_memcpy(ar + j, &high, (size_t)width * sizeof(float));
    }
    float floor_ = floor8[0];
    for (int k = 1; k < 8; k++)
        floor_ = floor8[k] > floor_ ? floor8[k] : floor_;
    return floor_;
}

/* acc [rows, vocab] int32: the int8 products (overwritten: scratch); stats from quantize_rows; per vocabulary row j:
 * w_scale[j], w_err[j] = |w_j - w~_j|, w_norm[j] = |w_j| (rounded up by the caller); x [rows, dim],
 * w [vocab, dim] fp32. out[r]: the greedy token of row r; checked[r]: how many logits it computed. */
void screened_argmax(int32_t *acc, const float *stats, const float *w_scale, const float *w_err,
                     const float *w_norm, const float *x, const float *w, int64_t *out, int64_t *checked,
                     int64_t rows, int64_t vocab, int64_t dim, int threads) {
    /* gamma_K |x| |w_j| bounds the fp32 dot's rounding; the 2^-10 and 2^-20 margins cover the
     * roundings in computing s_j and the bound itself (a few units of 2^-24 each). */
    const float gamma = (float)(dim + 2) * UNIT_ROUNDOFF / (1.0f - (float)(dim + 2) * UNIT_ROUNDOFF);
    const float widen = 1.0f + 1.0f / 1024.0f;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (rows >= PARALLEL_MIN_ROWS)
    for (int64_t r = 0; r < rows; r++) {
        const float *st = stats + r * STATS, *xr = x + r * dim;
        int32_t *ar = acc + r * vocab;
        const float scale = st[SCALE], a = st[NORM_Q] * widen, b = (st[NORM_ERR] + gamma * st[NORM_X]) * widen;
        if (scale == 0.0f) {
            out[r] = full_argmax(xr, w, vocab, dim);
            checked[r] = vocab;
            continue;
        }
        const float floor_ = bound_row(ar, w_scale, w_err, w_norm, scale, a, b, vocab);
        if (!isfinite(floor_)) { /* overflowing bounds: prove nothing, compute everything */
            out[r] = full_argmax(xr, w, vocab, dim);
            checked[r] = vocab;
            continue;
        }
        float best = -INFINITY;
        int64_t idx = -1, n = 0;
        const v8 floor8 = splat8(floor_);
        for (int64_t j = 0; j < vocab; j += 8) {
            const int64_t width = vocab - j < 8 ? vocab - j : 8;
            v8 high = splat8(-INFINITY);
            if (width == 8)
                __builtin_memcpy(&high, ar + j, sizeof high);
            else
                __builtin_memcpy(&high, ar + j, (size_t)width * sizeof(float));
            const v8i reaches = high >= floor8;
            if (!any8(reaches))
                continue;
            for (int64_t k = 0; k < width; k++) {
                if (!reaches[k])
                    continue;
                const float v = exact_logit(xr, w + (j + k) * dim, dim);
                n++;
                if (v != v) { /* an overflow the bounds did not show: torch's rule needs every logit */
                    best = v;
                    break;
                }
                if (idx < 0 || v > best) best = v, idx = j + k;
            }
            if (best != best) {
                idx = full_argmax(xr, w, vocab, dim);
                n = vocab;
                break;
            }
        }
        out[r] = idx;
        checked[r] = n;
    }
}
