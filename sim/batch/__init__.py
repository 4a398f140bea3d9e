"""Running scenarios: worlds in blocks, streamed to a result folder (runner), and batches of
scenario files and their sweep points run on an executor, resumable (batch, sweeps, executors)."""
