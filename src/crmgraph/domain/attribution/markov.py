"""The data-driven model: removal effects of a first-order Markov chain over all journeys.

States: `start`, one per group key (channel, campaign, ...), and the absorbing `conversion`
and `null`. Each journey, converting or not, is the walk start → its touches' keys in order →
conversion (converted) or null (not). P(i → j) = transitions i → j / transitions out of i.
P(conversion) is the probability that a walk from start is absorbed in conversion. Removing a
key sends every walk that reaches it to null; its removal effect is
1 - P(conversion without it) / P(conversion), and the effects are normalised to sum to 1.
A key followed by itself (two touches in a row) is a self-loop, which changes no absorption
probability; a journey without touches is start → conversion/null and scales P(conversion)
and every P(conversion without k) alike, so the normalised effects do not depend on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"


@dataclass(frozen=True, kw_only=True)
class RemovalEffects:
    conversion_probability: float
    # key -> 1 - P(conversion without key) / P(conversion)
    effects: dict[str, float]
    # key -> effect / sum of effects (all 0 when nothing converts)
    shares: dict[str, float]


def removal_effects(walks: Iterable[tuple[Sequence[str], bool]]) -> RemovalEffects:
    """`walks`: each journey's keys in path order and whether it converted."""
    counts: Counter[tuple[str, str]] = Counter()
    for keys, converted in walks:
        steps = [START, *keys, CONVERSION if converted else NULL]
        counts.update(pairwise(steps))
    keys_seen = sorted({s for pair in counts for s in pair} - {START, CONVERSION, NULL})
    transient = [START, *keys_seen]
    index = {s: i for i, s in enumerate(transient)}
    out: Counter[str] = Counter()
    for (a, _), n in counts.items():
        out[a] += n
    size = len(transient)
    q = [[0.0] * size for _ in range(size)]
    r = [0.0] * size
    for (a, b), n in sorted(counts.items()):
        p = n / out[a]
        if b == CONVERSION:
            r[index[a]] += p
        elif b != NULL:
            q[index[a]][index[b]] += p
    # N = (I - Q)^-1 once; x = N r. Removing k: a walk from start converts without k unless
    # it reaches k first, which it does with probability N[start][k] / N[k][k], then
    # converts with x[k]. So P(conversion without k) = x[start] - N[0][k] / N[k][k] * x[k].
    inv = _inverse([[(1.0 if i == j else 0.0) - q[i][j] for j in range(size)] for i in range(size)])
    x = [sum(nij * rj for nij, rj in zip(row, r, strict=True)) for row in inv]
    base = x[0]
    effects: dict[str, float] = {}
    for key in keys_seen:
        k = index[key]
        without = base - inv[0][k] / inv[k][k] * x[k]
        effects[key] = 1 - without / base if base > 0 else 0.0
    total = sum(effects.values())
    shares = {k: (e / total if total > 0 else 0.0) for k, e in effects.items()}
    return RemovalEffects(conversion_probability=base, effects=effects, shares=shares)


def _inverse(a: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan with partial pivoting; I - Q of an absorbing chain is invertible."""
    size = len(a)
    m = [row + [1.0 if i == j else 0.0 for j in range(size)] for i, row in enumerate(a)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda i: abs(m[i][col]))
        m[col], m[pivot] = m[pivot], m[col]
        lead = m[col][col]
        m[col] = [v / lead for v in m[col]]
        for row in range(size):
            f = m[row][col]
            if row != col and f != 0.0:
                m[row] = [v - f * w for v, w in zip(m[row], m[col], strict=True)]
    return [row[size:] for row in m]
