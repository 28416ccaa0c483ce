"""The BG/NBD family's bracket series (src/clv/bracket.rs) with its stop rule
as written (mode 0), with the first rule alone (mode 1: mutant 44:73) and with
the rest rule's `1e-17 * |next|` as `1e-17 / |next|` (mode 2: mutant 46:57),
over random draws of the parameters the models pass (BG/NBD plain and
conditional, MBG/NBD conditional). Prints every draw where a mutant's sum
differs (None: it ran out of terms, so the quadrature would answer) and the
counts. Usage: python3 bracket_stops.py SEED DRAWS"""
import random, math, sys
def run(a,A,C,z,mode):
    s=0.0; t=A*z/C; n=1.0
    for _ in range(20000):
        nx=s+t
        first=(abs(t)<=1e-17*abs(nx) or t==0.0)
        rest=False; rest57=False
        if A+n>0:
            b=z*max((A+n)/(C+n),1.0)*max((a+n-1)/(n+1),1.0)
            rest = b<1.0 and (abs(t)*b<=1e-17*abs(nx)*(1-b) or t==0.0)
            rest57 = b<1.0 and (abs(t)*b<=1e-17/abs(nx)*(1-b) if nx!=0 else False or t==0.0)
        if mode==0: st = first and A+n>0 and rest
        elif mode==1: st = first or (A+n>0 and rest)
        else: st = first and A+n>0 and rest57
        s=nx
        if st: return s,n
        t*=(A+n)*(a+n-1)/((C+n)*(n+1))*z; n+=1
    return None,n
random.seed(int(sys.argv[1]))
N=int(sys.argv[2]); cnt=0; diff=[0,0]
for i in range(N):
    r=10**random.uniform(-2,4); a=10**random.uniform(-2,4); b=10**random.uniform(-2,4)
    x=random.choice([0,1,2,5,10,100,1000,random.randint(0,10000)])
    kind=random.randint(0,2)
    if kind==0: A=a+b-1-r; C=a+b+x-1
    elif kind==1: A=a+b-r; C=a+b+x
    else: A=a+b-1-r; C=a+b-1
    if C<=0: continue
    z=random.choice([random.uniform(0,1), 1-10**random.uniform(-8,0), 10**random.uniform(-6,0)])
    o=run(a,A,C,z,0)
    if o[0] is None: continue
    cnt+=1
    for m in (1,2):
        v=run(a,A,C,z,m)
        if v[0]!=o[0]: diff[m-1]+=1; print("diff",m,r,a,b,x,z,kind,o,v)
print("compared",cnt,"differ (first alone, 46:57)",diff)
