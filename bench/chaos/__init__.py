"""`make chaos`: the whole stack under load and faults, and the proof nothing was lost."""
