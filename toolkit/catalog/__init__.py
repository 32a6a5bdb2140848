"""The catalog: reading it as named objects (inspect), comparing two readings (diff), and the fingerprint a
rollback must restore (fingerprint)."""
