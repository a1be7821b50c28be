/* Decode attention on the CPU: one query token per row attends over that row's cached context,
 * read in place from head-major KV storage ([kv_heads, slots, dim]), paged or contiguous.
 *
 * Built at first use by native_decode.py (plain C, no torch headers: compiles in about a second).
 * Each (row, KV head) is one task: the query heads sharing that KV head are processed together so
 * every key and value is read once. Keys are taken in tiles; a running max and sum give the
 * softmax in one pass (the usual online-softmax rescaling), all in fp32.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_GROUP 16
#define MAX_DIM 256
#define TILE 32

static inline int64_t slot_of(int64_t r, int64_t pos, const int64_t *table, int64_t width,
                              int64_t block_size, const int64_t *bases) {
    if (table)
        return table[r * width + pos / block_size] * block_size + pos % block_size;
    return bases[r] + pos;
}

/* Returns 0, or -1 when the shape is beyond this kernel's fixed limits (the caller falls back). */
int decode_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                     const int64_t *table, int64_t width, int64_t block_size, const int64_t *bases,
                     const int64_t *ctx_lens, int64_t rows, int64_t q_heads, int64_t kv_heads,
                     int64_t dim, int64_t slots, float scale, int threads) {
    const int64_t group = q_heads / kv_heads;
    if (group > MAX_GROUP || dim > MAX_DIM || group * kv_heads != q_heads)
        return -1;
    #pragma omp parallel for collapse(2) schedule(dynamic, 1) num_threads(threads)
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t h = 0; h < kv_heads; h++) {
            float acc[MAX_GROUP][MAX_DIM];
            float m[MAX_GROUP], l[MAX_GROUP], s[MAX_GROUP][TILE];
            const float *qh = q + (r * q_heads + h * group) * dim;
            const float *kh = k_cache + h * slots * dim;
            const float *vh = v_cache + h * slots * dim;
            const int64_t ctx = ctx_lens[r];
            for (int64_t g = 0; g < group; g++) {
                m[g] = -INFINITY;
                l[g] = 0.0f;
                memset(acc[g], 0, sizeof(float) * dim);
            }
            for (int64_t start = 0; start < ctx; start += TILE) {
                const int64_t n = ctx - start < TILE ? ctx - start : TILE;
                int64_t slot[TILE];
                for (int64_t t = 0; t < n; t++)
                    slot[t] = slot_of(r, start + t, table, width, block_size, bases);
                for (int64_t g = 0; g < group; g++) {
                    const float *qg = qh + g * dim;
                    float tile_max = -INFINITY;
                    for (int64_t t = 0; t < n; t++) {
                        const float *k = kh + slot[t] * dim;
                        float dot = 0.0f;
                        for (int64_t d = 0; d < dim; d++)
                            dot += qg[d] * k[d];
                        s[g][t] = dot * scale;
                        if (s[g][t] > tile_max)
                            tile_max = s[g][t];
                    }
                    const float m_new = tile_max > m[g] ? tile_max : m[g];
                    const float alpha = expf(m[g] - m_new);  /* 0 on the first tile */
                    l[g] *= alpha;
                    for (int64_t d = 0; d < dim; d++)
                        acc[g][d] *= alpha;
                    for (int64_t t = 0; t < n; t++) {
                        const float p = expf(s[g][t] - m_new);
                        const float *v = vh + slot[t] * dim;
                        l[g] += p;
                        for (int64_t d = 0; d < dim; d++)
                            acc[g][d] += p * v[d];
                    }
                    m[g] = m_new;
                }
            }
            for (int64_t g = 0; g < group; g++) {
                float *o = out + (r * q_heads + h * group + g) * dim;
                const float inv = 1.0f / l[g];
                for (int64_t d = 0; d < dim; d++)
                    o[d] = acc[g][d] * inv;
            }
        }
    }
    return 0;
}
