-- Nothing to restore: the removed per-IP counters cannot be recomputed, and
-- the older server simply starts counting again.
SELECT 1;
