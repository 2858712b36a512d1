# Independent NumPy implementation of pipeline/summary.go histogramEdges, for
# TestHistogramEdges. Run with Debian's /usr/bin/python3 (numpy 1.24).
import numpy as np, math, json
def nice(x, integer):
    if integer and x <= 1: return 1.0
    p = 10**math.floor(math.log10(x))
    for m in (1,2,2.5,5):
        w = m*p
        if integer and w != int(w): continue
        if w >= x*(1-1e-12): return w
    return 10*p
def edges(ref, cur):
    ref, cur = np.sort(ref), np.sort(cur)
    lo = min(np.quantile(ref,.01), np.quantile(cur,.01)); hi = max(np.quantile(ref,.99), np.quantile(cur,.99))
    vmin, vmax = min(ref[0],cur[0]), max(ref[-1],cur[-1])
    integer = all(v==int(v) for v in np.concatenate([ref,cur]))
    w = nice((hi-lo)/30, integer)
    start = math.floor(lo/w)*w
    dec = max(0, 1-math.floor(math.log10(w)))
    if integer: start -= .5; dec = 1
    n = math.floor((hi-start)/w)+1
    e = [round(start+i*w, dec) for i in range(n+1)]
    e = [min(vmin, e[0])] + e + [max(vmax, e[-1])]
    def counts(x):
        cut = [np.searchsorted(x, v, 'left') for v in e[1:-1]]
        return list(np.diff([0]+cut+[len(x)]).astype(int))
    return lo, hi, w, e, counts(ref), counts(cur)
ref = [round(0.37*i - 3.1 + 0.01*(i%7)**2, 2) for i in range(50)]
cur = [round(0.29*i + 1.7 + 0.02*(i%5)**2, 2) for i in range(40)]
print(ref); print(cur)
lo,hi,w,e,cr,cc = edges(ref,cur)
print(lo,hi,w); print(e); print(cr, sum(cr)); print(cc, sum(cc))
r2=[1,2,2,3,3,3]; c2=[2,3,4,4]
print(edges(r2,c2))
r3 = list(range(18, 91)); c3 = list(range(25, 100, 2))
print(edges(r3,c3))
