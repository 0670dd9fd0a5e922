-- The durable saga engine (src/services/workflow/pg/): one row per workflow execution, a journal of what its
-- activities returned and which deferreds were completed, and the durable clocks. A run replays its workflow from
-- the start over the journal, so a finished step is never repeated; the process running an execution holds a
-- lease on it (owner, lease_until), renewed while it runs: when the process dies, another one (or the same one,
-- restarted under its name) takes the execution over once the lease has run out.
-- Times come from the service's clock (parameters), never from now(): the engine runs on the TestClock in tests.

CREATE TABLE workflow_executions (
  execution_id text PRIMARY KEY,
  workflow     text NOT NULL,
  payload      jsonb NOT NULL,
  parent_id    text,
  -- runnable: a run is due; running: a run holds the lease; suspended: waiting for a deferred or a clock
  status       text NOT NULL DEFAULT 'runnable' CHECK (status IN ('runnable', 'running', 'suspended', 'complete')),
  -- bumped by every completion a run may be waiting for: a run that suspends having seen fewer runs again
  wakes        integer NOT NULL DEFAULT 0,
  interrupted  boolean NOT NULL DEFAULT false,
  result       jsonb,
  owner        text,
  lease_until  timestamptz,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  CHECK ((status = 'complete') = (result IS NOT NULL))
);
-- What the recovery loop looks at: executions that need a run and may have lost their runner.
CREATE INDEX workflow_executions_pending_idx ON workflow_executions (updated_at) WHERE status IN ('runnable', 'running');

-- kind 'a': an activity's exit (per attempt); kind 'd': a durable deferred's exit (attempt 0). No foreign key to
-- workflow_executions: a deferred may be completed before its execution's row exists (a payment webhook that
-- outruns its checkout), and the run that starts later finds it here.
CREATE TABLE workflow_journal (
  execution_id text NOT NULL,
  kind         char(1) NOT NULL CHECK (kind IN ('a', 'd')),
  name         text NOT NULL,
  attempt      integer NOT NULL,
  exit         jsonb NOT NULL,
  PRIMARY KEY (execution_id, kind, name, attempt)
);

-- A durable clock completes its deferred (with `exit`) at wake_at.
CREATE TABLE workflow_clocks (
  execution_id  text NOT NULL,
  name          text NOT NULL,
  deferred_name text NOT NULL,
  exit          jsonb NOT NULL,
  wake_at       timestamptz NOT NULL,
  PRIMARY KEY (execution_id, name)
);
CREATE INDEX workflow_clocks_due_idx ON workflow_clocks (wake_at);
