-- vipwatch admin store (MySQL 8 / MariaDB 10.5+): whitelist with its audit log, business owners, web users,
-- sessions and API tokens. Applied once by core/store/mysql/migrate.ts and recorded in schema_migrations.
-- Times are UTC, DATETIME(3). IF NOT EXISTS because DDL commits as it goes: a migration cut short can be re-run.
-- Keep core/store/sqlite/admin.ts's DDL in step with this file.

CREATE TABLE IF NOT EXISTS whitelist (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  vip VARCHAR(64) NULL,
  dc VARCHAR(128) NULL,
  business VARCHAR(128) NULL,
  reason VARCHAR(1000) NOT NULL,
  author VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL,
  expires_at DATETIME(3) NULL,
  CONSTRAINT whitelist_one_scope CHECK ((vip IS NOT NULL) + (dc IS NOT NULL) + (business IS NOT NULL) = 1),
  KEY whitelist_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- No foreign key to whitelist: the audit outlives the entries it describes.
CREATE TABLE IF NOT EXISTS whitelist_audit (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  action VARCHAR(16) NOT NULL,
  entry_id BIGINT UNSIGNED NOT NULL,
  before_json LONGTEXT NULL,
  after_json LONGTEXT NULL,
  why VARCHAR(1000) NOT NULL,
  CONSTRAINT whitelist_audit_action CHECK (action IN ('create', 'update', 'delete')),
  KEY whitelist_audit_entry (entry_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS businesses (
  name VARCHAR(128) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  dept VARCHAR(64) NULL,
  owners_json LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Names, ids and hashes compare byte for byte (utf8mb4_bin), as they do in SQLite.
CREATE TABLE IF NOT EXISTS users (
  name VARCHAR(128) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  role VARCHAR(16) NOT NULL,
  password_hash VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
  created_at DATETIME(3) NOT NULL,
  CONSTRAINT users_role CHECK (role IN ('viewer', 'admin'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS sessions (
  id VARCHAR(128) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_name VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
  csrf VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  KEY sessions_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS api_tokens (
  id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_name VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
  token_hash VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
  created_at DATETIME(3) NOT NULL,
  label VARCHAR(200) NOT NULL,
  UNIQUE KEY api_tokens_hash (token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
