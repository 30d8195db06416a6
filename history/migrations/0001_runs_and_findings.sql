-- closeout history, version 1: each recorded run and every finding's status in it.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    tenant        TEXT NOT NULL,
    generated_at  TEXT NOT NULL, -- RFC 3339 UTC, when the run evaluated
    policy_digest TEXT NOT NULL,
    input_digest  TEXT NOT NULL UNIQUE, -- the policy set and every snapshot evaluated: one evaluation, one run
    subjects      INTEGER NOT NULL,
    findings      INTEGER NOT NULL,
    recorded_at   TEXT NOT NULL
);
CREATE TABLE findings (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tenant    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    severity  TEXT NOT NULL,
    checklist TEXT NOT NULL,
    status    TEXT NOT NULL,
    PRIMARY KEY (run_id, tenant, subject, policy_id)
) WITHOUT ROWID;
CREATE INDEX findings_by_key ON findings (tenant, subject, policy_id);
