-- Undoes 0001_uuidv7. On PostgreSQL 18 nothing was created (the built-in is kept).
DROP FUNCTION IF EXISTS public.uuidv7();
