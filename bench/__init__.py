"""Benchmarks: labkit against its peers on this machine (`make bench`)."""
