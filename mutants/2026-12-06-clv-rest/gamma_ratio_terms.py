"""How much the missed mutants of ln_gamma_ratio's asymptotic series
(src/clv/special.rs) move its value. Prints the worst error of the series
itself against mpmath, then the worst change each mutant makes, both relative
to the exact value, over random (u, v, z) at and above the series' threshold
z >= 1e4 (1 + |u| + |v|)^2. Rust's % on floats is math.fmod."""
import math
import random

import mpmath as mp

mp.mp.dps = 40


def b2(a):
    return a * a - a + 1.0 / 6.0


def b3(a):
    return a * a * a - 1.5 * a * a + 0.5 * a


def b4(a):
    return a * a * a * a - 2.0 * a * a * a + a * a - 1.0 / 30.0


def b5(a):
    return a**5 - 2.5 * a**4 + 5.0 / 3.0 * a**3 - a / 6.0


def series(z, u, v, b4=b4, b5=b5, t4=lambda d: d / 12.0, t5=lambda d: d / 20.0):
    w = 1.0 / z
    return (u - v) * math.log(z) + w * (
        (b2(u) - b2(v)) / 2.0
        + w * (-(b3(u) - b3(v)) / 6.0 + w * (t4(b4(u) - b4(v)) - w * t5(b5(u) - b5(v))))
    )


MUTANTS = {
    "43:25 b4 a*a as a+a": dict(b4=lambda a: a + a * a * a - 2.0 * a * a * a + a * a - 1.0 / 30.0),
    "43:55 b4 + as *": dict(b4=lambda a: a * a * a * a - 2.0 * a * a * a * a * a - 1.0 / 30.0),
    "44:57 b5 5/3 as 5*3": dict(b5=lambda a: a**5 - 2.5 * a**4 + 5.0 * 3.0 * a**3 - a / 6.0),
    "49:40 /12 as %12": dict(t4=lambda d: math.fmod(d, 12.0)),
    "49:69 /20 as *20": dict(t5=lambda d: d * 20.0),
    "43:37 b4 - as /": dict(b4=lambda a: a * a * a * a / 2.0 * a * a * a + a * a - 1.0 / 30.0),
    "44:63 b5 *a^3 as +a^3": dict(b5=lambda a: a**5 - 2.5 * a**4 + 5.0 / 3.0 + a**3 - a / 6.0),
    "49:69 /20 as %20": dict(t5=lambda d: math.fmod(d, 20.0)),
    "44:33 b5 - as /": dict(b5=lambda a: a**5 / 2.5 * a**4 + 5.0 / 3.0 * a**3 - a / 6.0),
    "44:79 b5 a/6 as a%6": dict(b5=lambda a: a**5 - 2.5 * a**4 + 5.0 / 3.0 * a**3 - math.fmod(a, 6.0)),
    "44:33 b5 - as +": dict(b5=lambda a: a**5 + 2.5 * a**4 + 5.0 / 3.0 * a**3 - a / 6.0),
    "44:79 b5 a/6 as a*6": dict(b5=lambda a: a**5 - 2.5 * a**4 + 5.0 / 3.0 * a**3 - a * 6.0),
}

random.seed(1)
worst = {name: 0.0 for name in ["series itself", *MUTANTS]}
for _ in range(20000):
    u = random.choice([
        random.uniform(-1, 1), random.uniform(-50, 50), random.uniform(0, 1e3),
        random.uniform(-0.5, 0.5) * 10 ** random.randint(-6, 3),
    ])
    v = random.choice([0.0, random.uniform(-1, 1), random.uniform(0, 1e3), u + 1e-3 * random.random()])
    big = 1 + abs(u) + abs(v)
    z = 1e4 * big * big * random.choice([1, 1.0001, 2, 10, 1e3])
    exact = mp.loggamma(mp.mpf(z) + u) - mp.loggamma(mp.mpf(z) + v)
    scale = float(abs(exact)) or 1.0
    plain = series(z, u, v)
    worst["series itself"] = max(worst["series itself"], float(abs(plain - exact)) / scale)
    for name, parts in MUTANTS.items():
        worst[name] = max(worst[name], abs(series(z, u, v, **parts) - plain) / scale)
for name, e in worst.items():
    print(f"{name:22} {e:.2e}")
