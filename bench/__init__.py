"""Benchmarks (not tests): they start their own servers and print figures."""
