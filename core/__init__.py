"""Framework-free: the feature contract and the content each feature answers with.

Nothing here imports Twisted, Flask or Starlette; all three implementations import it.
"""
