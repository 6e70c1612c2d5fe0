-- The learning loop of routing (issue 11): questions offered a choice of topics, and the
-- questions HR assigned to a topic (or « hors sujet »), as in the SQLite store (store.rs,
-- LEARNING_SCHEMA).
CREATE TABLE ambiguous_questions (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    question TEXT NOT NULL,
    folded TEXT NOT NULL,
    phone TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX ambiguous_questions_at ON ambiguous_questions (at);
CREATE INDEX ambiguous_questions_phone ON ambiguous_questions (phone);
CREATE TABLE routing_examples (
    n BIGINT GENERATED ALWAYS AS IDENTITY,
    folded TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    topic TEXT,
    rules_version TEXT NOT NULL,
    at BIGINT NOT NULL
);
