-- On-demand probe jobs (core/store/jobs.ts): jobs, one result per (job, host), and the audit of every request.
-- Also the operator role (may start probe jobs; no other writes). Keep core/store/sqlite/jobs.ts in step.

CREATE TABLE IF NOT EXISTS probe_jobs (
  seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
  requester VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
  address VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL,
  start_by DATETIME(3) NOT NULL,
  doc LONGTEXT NOT NULL,
  UNIQUE KEY probe_jobs_id (id),
  KEY probe_jobs_start_by (start_by),
  KEY probe_jobs_requester (requester, created_at),
  KEY probe_jobs_address (address, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS probe_results (
  job_id VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
  host VARCHAR(253) COLLATE utf8mb4_bin NOT NULL,
  at DATETIME(3) NOT NULL,
  doc LONGTEXT NOT NULL,
  PRIMARY KEY (job_id, host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS probe_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  action VARCHAR(16) NOT NULL,
  job_id VARCHAR(32) NULL,
  target VARCHAR(2048) NOT NULL,
  method VARCHAR(16) NOT NULL,
  detail LONGTEXT NOT NULL,
  CONSTRAINT probe_audit_action CHECK (action IN ('created', 'refused'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE users DROP CONSTRAINT users_role;
ALTER TABLE users ADD CONSTRAINT users_role CHECK (role IN ('viewer', 'operator', 'admin'));
