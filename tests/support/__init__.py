"""Helpers for tests that start real processes: Chroma servers, ingest and assistant CLIs.

Everything started here runs in its own process group, so a test can kill -9 it (and any
children) without touching anything else, and every starter has a matching stop.
"""
