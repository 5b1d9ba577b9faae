"""Benchmarks: speed and API cost against baselines and a peer (run: python -m benchmarks)."""
