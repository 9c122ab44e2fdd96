-- What each API key may do (scopes) and the rate-limit tier its requests are counted under. Keys made before scopes
-- existed keep what they could do then: ingest, read and reports; admin is only ever granted explicitly.
ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['ingest', 'read', 'reports']::text[];
ALTER TABLE api_keys ADD COLUMN tier text NOT NULL DEFAULT 'professional';

-- The same lists as platform/tenants/key-access.ts; a key always has at least one scope.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_known
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest', 'read', 'reports', 'admin']::text[]);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_tier_known CHECK (tier IN ('free', 'professional', 'enterprise'));

-- The admin routes list an organisation's keys.
CREATE INDEX api_keys_by_org ON api_keys (org_id, created_at);
