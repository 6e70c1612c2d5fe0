-- Requests to people (issue 13): the `requests` table of the SQLite store (store.rs,
-- REQUESTS_SCHEMA), deleted with their conversation (erasure, retention) by the store.
CREATE TABLE requests (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    conversation TEXT NOT NULL,
    contact TEXT NOT NULL,
    contact_email TEXT,
    topic TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    reply_email TEXT,
    phone TEXT,
    dossier TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    due TEXT NOT NULL,
    reply TEXT,
    replied_at BIGINT,
    replied_by TEXT,
    notified_at BIGINT,
    delivered_at BIGINT
);
CREATE INDEX requests_conversation ON requests (conversation);
CREATE INDEX requests_contact ON requests (contact, status, created_at);
CREATE INDEX requests_phone ON requests (phone);
CREATE UNIQUE INDEX requests_one_open ON requests (conversation) WHERE status = 'open';
