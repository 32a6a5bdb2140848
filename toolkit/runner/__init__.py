"""The runner: applies and rolls back a plan's phases on one database.

session     a phase from start to end: pre-checks, steps, post-checks, key queries, rollback on failure
executor    one migration's script: transaction mode, timeouts, lock retries
batches     a batched step's loop: batch size and pause from the server's signals, standby waits
throttle    what the server shows between batches, and the decision taken from it
locks       waiting outside the lock queue for long transactions in a step's way
runlock     one runner per database (an advisory lock)
checks      validation queries and their expectations
performance key queries timed before and after a phase
history     what was applied, when, by whom, with the schema's fingerprint
repair      a human's corrections to history
results     what a run returns; progress what it says while it runs; faults the test suite's kill points
"""
