"""Running scenarios: worlds in blocks, streamed to a result folder (sweeps and executors next)."""
