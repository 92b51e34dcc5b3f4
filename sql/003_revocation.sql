-- Revocation: agent token generations (a host's token is valid only for its current generation; bumping it revokes
-- the old token on every gateway replica within agentTokens.refreshSec), API token expiry, and the indexes that let
-- a user's sessions and tokens be ended at once (password change, `vipwatch user delete`, `user token revoke`).
-- Keep core/store/sqlite/admin.ts in step (its DDL and addColumns()).

CREATE TABLE IF NOT EXISTS agent_tokens (
  host VARCHAR(253) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  generation INT UNSIGNED NOT NULL,
  updated_at DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- NULL = never expires (tokens issued before this migration)
ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME(3) NULL, ADD KEY api_tokens_user (user_name);

ALTER TABLE sessions ADD KEY sessions_user (user_name);
