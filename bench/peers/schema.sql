-- A Message DB-like event table (the `messages` table of Message DB, the
-- PostgreSQL event store), reduced to what one append touches.
CREATE TABLE messages (
  global_position bigserial PRIMARY KEY,
  position        bigint NOT NULL,
  time            timestamptz NOT NULL DEFAULT now(),
  stream_name     text NOT NULL,
  type            text NOT NULL,
  data            jsonb,
  metadata        jsonb,
  id              uuid NOT NULL UNIQUE
);
CREATE INDEX messages_stream ON messages (stream_name, position);
