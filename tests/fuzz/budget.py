"""How much the fuzzers do: small in `make test`, large in `make fuzz`.

CRMGRAPH_FUZZ_EXAMPLES scales every generated run (hypothesis examples per test, schemathesis
examples per operation); CRMGRAPH_FUZZ_SECONDS bounds the runs that go through every
operation of the supergraph, and how long the slow sender dribbles."""

from __future__ import annotations

import os

#: `make test`'s budget: the fuzz tests together add about two minutes on a loaded machine.
DEFAULT_EXAMPLES = 10
DEFAULT_SECONDS = 30.0


def examples(default: int = DEFAULT_EXAMPLES) -> int:
    """Examples per generated test (schemathesis: per operation and mode)."""
    return int(os.environ.get("CRMGRAPH_FUZZ_EXAMPLES", default))


def seconds(default: float = DEFAULT_SECONDS) -> float:
    """Wall-clock budget of a run over many operations."""
    return float(os.environ.get("CRMGRAPH_FUZZ_SECONDS", default))


def timeout(at_default: float, default_examples: int = DEFAULT_EXAMPLES) -> float:
    """A test's pytest timeout: what it needs at the default budget, scaled with the budget."""
    scale = max(1.0, examples(default_examples) / default_examples)
    return at_default * scale + max(0.0, seconds() - DEFAULT_SECONDS)
