"""Helpers of the benchmarks in ``bench/``: data generation, servers, load generation, the bare reference app."""
