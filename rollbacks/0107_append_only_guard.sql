-- Undoes 0107_append_only_guard.
DROP FUNCTION reject_row_change();
