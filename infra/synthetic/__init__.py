"""Synthetic data: the generated histories of the benchmarks and the demo territory."""
