-- auth room: people, integrators' tokens, and the audit log of every state-changing call.
CREATE TABLE users (
    username              VARCHAR(64)              NOT NULL PRIMARY KEY,
    role                  VARCHAR(16)              NOT NULL,
    -- pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>
    password_hash         VARCHAR(255)             NOT NULL,
    must_change_password  BOOLEAN                  NOT NULL,
    disabled              BOOLEAN                  NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMP WITH TIME ZONE NOT NULL,
    last_login_at         TIMESTAMP WITH TIME ZONE
);

CREATE TABLE api_tokens (
    id            BIGINT AUTO_INCREMENT PRIMARY KEY,
    name          VARCHAR(128)             NOT NULL,
    owner         VARCHAR(64)              NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    role          VARCHAR(16)              NOT NULL,
    -- SHA-256 of the token, hex: tokens are 256 random bits, so a fast hash cannot be guessed backwards.
    token_hash    CHAR(64)                 NOT NULL UNIQUE,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at    TIMESTAMP WITH TIME ZONE,
    last_used_at  TIMESTAMP WITH TIME ZONE
);

CREATE TABLE audit_log (
    id       BIGINT AUTO_INCREMENT PRIMARY KEY,
    at       TIMESTAMP WITH TIME ZONE NOT NULL,
    actor    VARCHAR(200)             NOT NULL,
    action   VARCHAR(200)             NOT NULL,
    target   VARCHAR(1024),
    outcome  VARCHAR(200)             NOT NULL,
    address  VARCHAR(64)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
