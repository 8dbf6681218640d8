-- rules room: automation rules (their definition as validated JSON) and every time one fired.
CREATE TABLE rules (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(200)             NOT NULL,
    enabled     BOOLEAN                  NOT NULL,
    definition  CLOB                     NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE rule_firings (
    id        BIGINT AUTO_INCREMENT PRIMARY KEY,
    rule_id   BIGINT                   NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
    endpoint  VARCHAR(255)             NOT NULL,
    state     VARCHAR(16)              NOT NULL,
    val       VARCHAR(255),
    at        TIMESTAMP WITH TIME ZONE NOT NULL,
    actions   CLOB                     NOT NULL
);
CREATE INDEX rule_firings_rule ON rule_firings (rule_id, at);
