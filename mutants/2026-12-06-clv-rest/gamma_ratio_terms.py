"""How much the two missed mutants of ln_gamma_ratio's series (src/clv/special.rs)
move its value: the B4 term with `+` as `*`, the B5 term divided by 20 as multiplied.
Prints the worst error of the series itself against mpmath, and the worst change
each mutant makes, both relative to the exact value, over random (u, v, z) at and
above the series' threshold z >= 1e4 (1 + |u| + |v|)^2."""
import mpmath as mp, math, random
mp.mp.dps=40
def series(z,u,v,mut=None):
    b2=lambda a:a*a-a+1/6
    b3=lambda a:a*a*a-1.5*a*a+0.5*a
    b4=lambda a:a*a*a*a-2.0*a*a*a+a*a-1/30 if mut!='b4' else a*a*a*a-2.0*a*a*a*a*a-1/30
    b5=lambda a:a**5-2.5*a**4+5/3*a**3-a/6
    w=1/z
    t5 = w*(b5(u)-b5(v))/20.0 if mut!='b5' else w*(b5(u)-b5(v))*20.0
    return (u-v)*math.log(z)+w*((b2(u)-b2(v))/2+w*(-(b3(u)-b3(v))/6+w*((b4(u)-b4(v))/12-t5)))
random.seed(1)
worst={None:0,'b4':0,'b5':0}
for _ in range(20000):
    u=random.choice([random.uniform(-1,1),random.uniform(-50,50),random.uniform(0,1e3),random.uniform(-0.5,0.5)*10**random.randint(-6,3)])
    v=random.choice([0.0,random.uniform(-1,1),random.uniform(0,1e3),u+1e-3*random.random()])
    big=1+abs(u)+abs(v)
    z=1e4*big*big*random.choice([1,1.0001,2,10,1e3])
    if z+u<=0 or z+v<=0: continue
    ex=mp.loggamma(mp.mpf(z)+mp.mpf(u))-mp.loggamma(mp.mpf(z)+mp.mpf(v))
    scale=abs(ex) if ex!=0 else 1
    for m in worst:
        e=float(abs(mp.mpf(series(z,u,v,m))-ex)/scale) if m is None else abs(series(z,u,v,m)-series(z,u,v))/float(scale)
        if e>worst[m]: worst[m]=e
print(worst)
