/* Small deterministic RNG shared by the trainer and the tests: its whole state is one uint64,
 * saved in checkpoints so a resumed run draws the same batches as an uninterrupted one. */
#include <math.h>
#include <stdint.h>

uint64_t rng_next(uint64_t *state) { /* xorshift64* */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

double rng_uniform(uint64_t *state) { return (rng_next(state) >> 11) * (1.0 / 9007199254740992.0); }

double rng_normal(uint64_t *state) {
    double u1 = rng_uniform(state), u2 = rng_uniform(state);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
