#!/usr/bin/env bash
# The README's pg_cron job for real: pg_cron (preloaded by test/run, with
# cron.database_name = postgres) runs woes.wake_snoozed() every minute in a
# database with woes; a due snoozed conversation must be woken by it, with
# reason snooze_expired.  Waits for the next minute boundary (<= ~75 s).
set -euo pipefail
db=woes_cron_test
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -qX -d postgres -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE EXTENSION woes;
SELECT woes.create_workspace('cron', 'Cron') AS ws \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
INSERT INTO woes.conversations (channel, contact_id)
VALUES ('email', woes.upsert_contact('email', 'sleepy@example.com'));
-- snoozed for one second: due long before the job's next run
SELECT woes.snooze(id, clock_timestamp() + interval '1 second') FROM woes.conversations;
COMMIT;
SQL
# the job, as the README shows it
psql -qX -v ON_ERROR_STOP=1 -d postgres -c \
  "SELECT cron.schedule_in_database('woes-wake-snoozed', '* * * * *', 'SELECT woes.wake_snoozed()', '$db')" >/dev/null
cleanup() {
    psql -qX -d postgres -c "SELECT cron.unschedule('woes-wake-snoozed')" >/dev/null 2>&1 || true
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for i in $(seq 1 90); do
    status=$(psql -qXAt -d $db -c "SET row_security = off; SELECT status FROM woes.conversations")
    [ "$status" = "open" ] && break
    sleep 1
done
echo "status after waiting: $status"
reason=$(psql -qXAt -d $db -c "SET row_security = off; SELECT reason FROM woes.status_events WHERE to_status::text = 'open' AND from_status::text = 'snoozed'")
echo "wake-up event reason: $reason"
psql -qXAt -d postgres -c "SELECT status, return_message FROM cron.job_run_details ORDER BY runid DESC LIMIT 1"
[ "$status" = "open" ] && [ "$reason" = "snooze_expired" ]
