-- closeout history, version 2: the domain each tenant id goes by, from the
-- tenant documents of the runs, so that reports name tenants as people do.
CREATE TABLE tenant_domains (
    tenant TEXT PRIMARY KEY,
    domain TEXT NOT NULL
);
