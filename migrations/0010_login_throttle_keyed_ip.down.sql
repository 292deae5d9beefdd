-- The removed per-IP counters cannot be recomputed; the older server simply
-- starts counting again.
ALTER TABLE login_throttle RENAME CONSTRAINT login_throttle_subject_size TO login_throttle_subject_sha256;
