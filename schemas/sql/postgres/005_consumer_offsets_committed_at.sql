-- When each partition last committed a batch. `updated_at` also moves when a batch's range is recorded as pending,
-- which a failing batch does on every retry; only a commit is progress, and /readyz judges a stall by this.
ALTER TABLE consumer_offsets ADD COLUMN IF NOT EXISTS committed_at timestamptz;
