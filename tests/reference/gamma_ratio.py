"""Reference values of ln Gamma(z+u) - ln Gamma(z+v) at 40 significant
digits with mpmath, where revops takes the asymptotic series (z at and just
above 1e4 (1 + |u| + |v|)^2) and u, v are small: there the result is small
and every term of the series shows. Written as CSV to stdout.

    pip install mpmath
    python3 tests/reference/gamma_ratio.py > tests/reference/gamma_ratio.csv

Each input is printed as the shortest decimal of a double, so Rust's parse of
the same text is that double, and mpmath reads it exactly.
"""

import random

import mpmath as mp

mp.mp.dps = 40

random.seed(7)
print("z,u,v,ln_gamma_ratio")
for _ in range(60):
    u = random.uniform(-1.0, 1.0)
    v = u + random.choice([1e-3, 1e-2, 0.1, 1.0]) * random.uniform(-1.0, 1.0)
    big = 1.0 + abs(u) + abs(v)
    z = 1e4 * big * big * random.choice([1.0, 1.5, 4.0])
    value = mp.loggamma(mp.mpf(z) + mp.mpf(u)) - mp.loggamma(mp.mpf(z) + mp.mpf(v))
    print(f"{z!r},{u!r},{v!r},{mp.nstr(value, 20, strip_zeros=False)}")
# One of u, v near 0 and the other near -3: there the B4 polynomials differ
# most against the result, still on the series side.
for _ in range(20):
    u = random.uniform(-0.05, 0.05)
    v = random.uniform(-3.0, -2.8)
    if random.random() < 0.5:
        u, v = v, u
    z = 1e4 * (1.0 + abs(u) + abs(v)) * (1.0 + abs(u) + abs(v))
    value = mp.loggamma(mp.mpf(z) + mp.mpf(u)) - mp.loggamma(mp.mpf(z) + mp.mpf(v))
    print(f"{z!r},{u!r},{v!r},{mp.nstr(value, 20, strip_zeros=False)}")
