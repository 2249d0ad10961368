-- Shared fixtures for the pg_regress suites: the extension, login roles of
-- each kind, and two workspaces.  Later files rely on these names.
CREATE EXTENSION woes;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
        CREATE ROLE app LOGIN IN ROLE woes_service;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boss') THEN
        CREATE ROLE boss LOGIN IN ROLE woes_admin;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bi') THEN
        CREATE ROLE bi LOGIN IN ROLE woes_analyst;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rando') THEN
        CREATE ROLE rando LOGIN;
    END IF;
END;
$$;
SELECT "check", ok FROM woes.doctor() ORDER BY 1;
