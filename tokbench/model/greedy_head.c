/* The greedy token of each row without the full fp32 LM head: an int8 screen, then an exact recheck.
 *
 * Built at first use by greedy_head.py (plain C, no torch headers). For a row x and the LM head's
 * rows w_j, the int8 product (exact integer sums, scaled) gives s_j with a proven bound
 *     |x.w_j - s_j| <= |x~| |w_j - w~_j| + |x - x~| |w_j|        (Cauchy-Schwarz, both terms)
 * where x~, w~_j are the dequantised int8 vectors. The fp32 logit itself differs from x.w_j by at
 * most gamma_K |x| |w_j| (K roundings of a dot product), so with h_j the sum of all three terms the
 * fp32 argmax lies among the j whose s_j + h_j reaches max_i (s_i - h_i). Only those are computed in
 * fp32, as fused multiply-add chains in the order oneDNN's fp32 matmul sums (exact_logits), so the
 * recheck gives its bits: greedy_head.py checks that once per head and uses the full head where it
 * does not hold. A row the screen proves too little for (a non-finite value, too many rows that may
 * win) is left to the full head, which greedy_head.py runs on it.
 *
 * Every row depends on itself alone, so batching never changes a token. Rows are split over OpenMP
 * threads when there are enough of them.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "native_vector.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

#define PARALLEL_MIN_ROWS 4
#define MOST_CAP 16384 /* candidates a row may keep on its thread's stack; more go to the full head */
#define UNIT_ROUNDOFF 5.9604645e-8f /* 2^-24 */

enum { SCALE, NORM_Q, NORM_ERR, NORM_X, STATS };

/* x [rows, dim] -> q [rows, dim] int8 with a per-row scale (max |x| / 127), and per row:
 * the scale, |x~| (the dequantised row's norm), |x - x~| and |x|. A non-finite row gets scale 0,
 * which tells screened_argmax to leave it to the full head. */
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

static inline v8 splat8(float v) {
    return (v8){v, v, v, v, v, v, v, v};
}

/* The set lanes of m as bits, lane k -> bit k. */
static inline unsigned mask8(v8i m) {
#if defined(__AVX__)
    __m256 f;
    __builtin_memcpy(&f, &m, sizeof f);
    return (unsigned)_mm256_movemask_ps(f);
#else
    unsigned bits = 0;
    for (int k = 0; k < 8; k++)
        bits |= (unsigned)(m[k] & 1) << k;
    return bits;
#endif
}

/* The upper bounds bound_row wrote over the products, j .. j + 7 (-inf past the vocabulary). */
static inline v8 high8(const int32_t *ar, int64_t j, int64_t vocab) {
    v8 high = splat8(-INFINITY);
    if (vocab - j >= 8)
        __builtin_memcpy(&high, ar + j, sizeof high); /* a constant size: one vector load */
    else
        __builtin_memcpy(&high, ar + j, (size_t)(vocab - j) * sizeof(float));
    return high;
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

/* The j whose most (s_j + h_j, as bound_row wrote them) reaches `floor_`, in order, into cand: how
 * many, or -1 when more than `most`. One pass, eight at a time; set lanes are rare. */
static int64_t collect(const int32_t *ar, float floor_, int64_t vocab, int64_t most, int32_t *cand) {
    const v8 floor8 = splat8(floor_);
    int64_t n = 0;
    for (int64_t j = 0; j < vocab; j += 8) {
        for (unsigned bits = mask8(high8(ar, j, vocab) >= floor8); bits; bits &= bits - 1) {
            if (n == most)
                return -1;
            cand[n++] = (int32_t)(j + __builtin_ctz(bits));
        }
    }
    return n;
}

/* The logits oneDNN's fp32 matmul computes for the vocabulary rows cand[0 .. n-1]: over each block
 * of `block` hidden elements one fused multiply-add after another from zero, the blocks' sums added
 * in order (oneDNN splits a long hidden size: 512-element blocks at 1024, 1024 at 2048 and 4096 on
 * the machine measured; greedy_head.py finds the block size by probing this very function, once per
 * head). Eight candidates side by side: each logit's chain keeps its order, while eight independent
 * chains hide each one's latency. */
static void exact_logits(const float *x, const float *w, const int32_t *cand, int64_t n, int64_t dim,
                         int64_t block, float *out) {
    for (int64_t c0 = 0; c0 < n; c0 += 8) {
        const int64_t m = n - c0 < 8 ? n - c0 : 8;
        const float *rows[8];
        for (int k = 0; k < 8; k++)
            rows[k] = w + (int64_t)cand[c0 + (k < m ? k : 0)] * dim;
        float total[8] = {0}, part[8];
        for (int64_t start = 0; start < dim; start += block) {
            const int64_t end = start + block < dim ? start + block : dim;
            for (int k = 0; k < 8; k++)
                part[k] = 0.0f;
            for (int64_t i = start; i < end; i++)
                for (int k = 0; k < 8; k++)
                    part[k] = fmaf(x[i], rows[k][i], part[k]);
            for (int k = 0; k < 8; k++)
                total[k] = start ? total[k] + part[k] : part[k];
        }
        for (int64_t k = 0; k < m; k++)
            out[c0 + k] = total[k];
    }
}

/* out[i] = the recheck's logit of row x for vocabulary row idx[i]: for the caller's check, once per
 * head, that these are the full head's bits on this machine. */
void recheck_logits(const float *x, const float *w, const int32_t *idx, float *out, int64_t n, int64_t dim,
                    int64_t block) {
    exact_logits(x, w, idx, n, dim, block, out);
}

/* acc [rows, vocab] int32: the int8 products (overwritten: scratch); stats from quantize_rows; per
 * vocabulary row j: w_scale[j], w_err[j] = |w_j - w~_j|, w_norm[j] = |w_j| (rounded up by the
 * caller); x [rows, dim], w [vocab, dim] fp32, `block` the recheck's block size. out[r]: the greedy
 * token of row r, or -1 where the screen proves too little (a non-finite row, overflowing bounds,
 * more than `most` rows that may win, a NaN logit): the caller runs the full head on those rows.
 * checked[r]: how many logits row r computed in fp32. */
void screened_argmax(int32_t *acc, const float *stats, const float *w_scale, const float *w_err,
                     const float *w_norm, const float *x, const float *w, int64_t *out, int64_t *checked,
                     int64_t rows, int64_t vocab, int64_t dim, int64_t block, int64_t most, int threads) {
    /* gamma_K |x| |w_j| bounds the fp32 dot's rounding (any order of summation); the 2^-10 and
     * 2^-20 margins cover the roundings in computing s_j and the bound itself (a few 2^-24 each). */
    const float gamma = (float)(dim + 2) * UNIT_ROUNDOFF / (1.0f - (float)(dim + 2) * UNIT_ROUNDOFF);
    const float widen = 1.0f + 1.0f / 1024.0f;
    const int64_t cap = most < MOST_CAP ? most : MOST_CAP;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (rows >= PARALLEL_MIN_ROWS)
    for (int64_t r = 0; r < rows; r++) {
        const float *st = stats + r * STATS, *xr = x + r * dim;
        int32_t *ar = acc + r * vocab;
        const float scale = st[SCALE], a = st[NORM_Q] * widen, b = (st[NORM_ERR] + gamma * st[NORM_X]) * widen;
        out[r] = -1;
        checked[r] = 0;
        if (scale == 0.0f)
            continue;
        const float floor_ = bound_row(ar, w_scale, w_err, w_norm, scale, a, b, vocab);
        if (!isfinite(floor_))
            continue;
        int32_t cand[cap];
        float logit[cap];
        const int64_t n = collect(ar, floor_, vocab, cap, cand);
        if (n < 0)
            continue;
        exact_logits(xr, w, cand, n, dim, block, logit);
        float best = -INFINITY;
        int64_t idx = -1;
        for (int64_t c = 0; c < n; c++) {
            if (logit[c] != logit[c]) { /* an overflow the bounds did not show: torch's NaN rule needs every logit */
                idx = -1;
                break;
            }
            if (idx < 0 || logit[c] > best) /* candidates in index order: the first largest wins, as argmax */
                best = logit[c], idx = cand[c];
        }
        out[r] = idx;
        checked[r] = n;
    }
}
