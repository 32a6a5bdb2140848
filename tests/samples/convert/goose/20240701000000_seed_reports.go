package migrations

// a Go migration: code, not SQL
