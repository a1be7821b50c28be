/* What tokbench's C kernels share: 8-float vectors and an exp the compiler vectorises.
 *
 * native_build.py compiles every kernel with this file's directory on the include path, and its
 * text is part of the build's cache key (a change here rebuilds every kernel). GCC and Clang
 * vector extensions: AVX registers on x86, pairs of NEON registers on Arm.
 */
#ifndef TOKBENCH_NATIVE_VECTOR_H
#define TOKBENCH_NATIVE_VECTOR_H

#include <stdint.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

static inline v8 load8(const float *p) {
    v8 x;
    __builtin_memcpy(&x, p, sizeof x);  /* unaligned load */
    return x;
}

/* Lane-wise a > b ? a : b (a NaN in a loses). */
static inline v8 vmax8(v8 a, v8 b) {
    const v8i gt = a > b;
    return (v8)(((v8i)a & gt) | ((v8i)b & ~gt));
}

/* exp(x) in a form the compiler vectorises (libm's expf is a scalar call per element):
 * x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for accuracy), exp(r) by a degree-6
 * polynomial (Cephes' coefficients), 2^n by building the float's exponent bits. Relative error
 * about 1e-7, like expf. Clamped to [-87, 88]: exp(-87) ~ 1.6e-38 and exp(88) ~ 1.7e38 stand in
 * for 0 and infinity. */
static inline float exp_clamped(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float n = __builtin_rintf(x * 1.44269504088896341f);
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale = { .i = ((int32_t)n + 127) << 23 };
    return p * scale.f;
}

#endif
