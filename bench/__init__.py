"""Load generation and comparison: `twistbridge load`, `twistbridge compare`, and the
benchmarks that measure twistbridge against its anchors (Daphne, uvicorn, a bare
twisted.web leaf, the stock WSGIResource)."""
