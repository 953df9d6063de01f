#!/usr/bin/env python3
"""bench/loops/to_stan221.py MODEL.vim [OUT.stan]

Rewrites a Stan model in the modern syntax (array[...] declarations) into the
syntax that stanc 2.21 (rstan from Debian) accepts:

    array[N] int<lower=1, upper=J> g;   ->  int<lower=1, upper=J> g[N];
    array[J] vector[K] yv;              ->  vector[K] yv[J];
    array[J, K] int yirt;               ->  int yirt[J, K];
    array[S] simplex[S] theta;          ->  simplex[S] theta[S];
    array[T, S] real gamma;             ->  real gamma[T, S];
    array[N] real z = f(x);             ->  real z[N] = f(x);

Nothing else in the corpus needs rewriting for 2.21 (compound assignment,
target +=, std_normal, lpdf with |, are all in 2.21); a model with a construct
stanc 2.21 still rejects fails at compilation and is reported by bench/loops/run.
Prints to stdout without OUT."""
import re, sys

def balanced(s, i, open_, close):
    """Index just past the bracket that closes s[i] (== open_)."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == open_:
            depth += 1
        elif s[j] == close:
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("unbalanced %s at %d" % (open_, i))

ARRAY = re.compile(r"\barray\s*\[")
WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")

def convert(src):
    out, pos = [], 0
    while True:
        m = ARRAY.search(src, pos)
        if not m:
            out.append(src[pos:])
            return "".join(out)
        out.append(src[pos:m.start()])
        b = m.end() - 1
        e = balanced(src, b, "[", "]")
        dims = src[b + 1:e - 1].strip()
        # element type: a word, then optional <...> (constraints) and [...] (sizes)
        t = WORD.match(src, e)
        if not t:
            raise ValueError("cannot parse the element type after %r" % src[m.start():e])
        j = t.end()
        typ = t.group(1)
        while True:
            k = j
            while k < len(src) and src[k].isspace():
                k += 1
            if k < len(src) and src[k] == "<":
                j2 = balanced(src, k, "<", ">")
                typ += src[k:j2]
                j = j2
            elif k < len(src) and src[k] == "[":
                j2 = balanced(src, k, "[", "]")
                typ += src[k:j2]
                j = j2
            else:
                break
        n = WORD.match(src, j)
        if not n:
            raise ValueError("cannot parse the variable name after %r" % src[m.start():j])
        out.append("%s %s[%s]" % (typ, n.group(1), dims))
        pos = n.end()

def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        s = convert(f.read())
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(s)
    else:
        sys.stdout.write(s)

if __name__ == "__main__":
    main()
