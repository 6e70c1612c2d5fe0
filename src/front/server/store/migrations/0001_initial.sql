-- The PostgreSQL schema of guichet serve, version 1: the same tables as the SQLite store
-- (store.rs), plus `current_rules` (the version every instance serves) and identity columns
-- `n` standing for SQLite's rowid (order of insertion).
CREATE TABLE rules (
    version TEXT PRIMARY KEY,
    files TEXT NOT NULL,
    saved_at BIGINT NOT NULL
);
CREATE TABLE current_rules (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL REFERENCES rules (version),
    at BIGINT NOT NULL
);
CREATE TABLE conversations (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    phone TEXT,
    topic TEXT NOT NULL,
    program_version TEXT NOT NULL,
    session TEXT NOT NULL,
    outcome TEXT NOT NULL,
    helpful BOOLEAN,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX conversations_phone ON conversations (phone, created_at);
CREATE INDEX conversations_updated ON conversations (updated_at);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE TABLE turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at BIGINT NOT NULL,
    who TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (conversation, seq)
);
CREATE TABLE unmatched_questions (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    question TEXT NOT NULL,
    folded TEXT NOT NULL,
    phone TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX unmatched_questions_at ON unmatched_questions (at);
CREATE INDEX unmatched_questions_phone ON unmatched_questions (phone);
CREATE TABLE offers (
    phone TEXT PRIMARY KEY,
    offer TEXT NOT NULL,
    at BIGINT NOT NULL
);
