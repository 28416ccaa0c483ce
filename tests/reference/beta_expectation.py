"""Reference values of E[(1 - (1 + p tau)^-k) / p] for p ~ Beta(a, beta)
at 40 digits with mpmath, where one end of the Beta carries the integral
(a small, or beta small). Printed as Rust tuples (a, beta, k, ln tau,
value) for the test `beta_expectation_equals_the_reference` in
src/clv/bracket.rs.

    pip install mpmath
    python3 tests/reference/beta_expectation.py

Each half is integrated in the variable that removes its end's power:
t = p^a on [0, 1/2] and s = (1 - p)^beta on [1/2, 1].
"""

import mpmath as mp

mp.mp.dps = 40


def expectation(a, beta, k, ln_tau):
    tau = mp.e ** mp.mpf(ln_tau)
    a, beta, k = mp.mpf(a), mp.mpf(beta), mp.mpf(k)

    def g(p):
        return -mp.expm1(-k * mp.log1p(p * tau)) / p

    left = mp.quad(
        lambda t: g(t ** (1 / a)) * (1 - t ** (1 / a)) ** (beta - 1) / a,
        [0, mp.mpf(0.5) ** a],
    )
    right = mp.quad(
        lambda s: g(1 - s ** (1 / beta)) * (1 - s ** (1 / beta)) ** (a - 1) / beta,
        [0, mp.mpf(0.5) ** beta],
    )
    return (left + right) / mp.beta(a, beta)


for point in [
    (0.05, 10.0, 3.0, 0.0),
    (0.05, 10.0, 400.0, 0.0),
    (30.0, 0.1, 0.5, 0.0),
    (30.0, 0.1, 0.5, -5.0),
    (30.0, 0.1, 1.0, 10.0),
    (0.05, 10.0, 3.0, -5.0),
    (4.0, 2.0, 20.0, -5.0),
]:
    print("(%r, %r, %r, %r, %r)," % (*point, float(expectation(*point))))
