DROP TABLE IF EXISTS tasks;
DROP TABLE IF EXISTS users;
DROP FUNCTION IF EXISTS app_current_user_id();
-- taskbridge_runtime is cluster-wide and may serve other databases: it is kept.
