"""The scale-out simulation: several routers, subgraph processes, REST shims and workers on
this machine behind one HAProxy address per tier (scaleout.layout.start), for tests, the
soak and chaos runs. `python -m scaleout` starts it and prints where everything runs."""
