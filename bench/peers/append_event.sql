-- pgbench script: one transaction = one event appended to one of 10,000
-- streams, the way a Message DB-style store writes it (see postgres.sh).
-- :payload (a 200-byte JSON object) is passed with pgbench -D.
\set n random(1, 10000)
INSERT INTO messages (stream_name, position, type, data, metadata, id)
SELECT 'account-' || :n::text, coalesce(max(position), -1) + 1, 'Deposited',
       :payload::jsonb, '{"correlation_id":"bench"}'::jsonb, gen_random_uuid()
FROM messages WHERE stream_name = 'account-' || :n::text;
