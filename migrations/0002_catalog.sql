-- Catalog: events, ticket types (price categories with their inventory counters), seat maps and event staff.
CREATE TABLE events (
  id             uuid PRIMARY KEY,
  organizer_id   uuid NOT NULL REFERENCES users (id),
  title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description    text CHECK (length(description) <= 10000),
  venue_name     text NOT NULL,
  venue_address  text,
  venue_timezone text NOT NULL,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz CHECK (ends_at > starts_at),
  sales_start_at timestamptz,
  sales_end_at   timestamptz CHECK (sales_end_at > sales_start_at),
  status         text NOT NULL CHECK (status IN ('draft', 'published', 'cancelled')),
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  published_at   timestamptz,
  cancelled_at   timestamptz
);
CREATE INDEX events_organizer_idx ON events (organizer_id, starts_at, id);
CREATE INDEX events_published_idx ON events (starts_at, id) WHERE status = 'published';

-- held + sold <= capacity is the inventory invariant; the database refuses any write that breaks it.
CREATE TABLE ticket_types (
  id            uuid PRIMARY KEY,
  event_id      uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  price_minor   bigint NOT NULL CHECK (price_minor >= 0),
  currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  capacity      integer NOT NULL CHECK (capacity >= 0),
  max_per_order integer NOT NULL CHECK (max_per_order BETWEEN 1 AND 100),
  seated        boolean NOT NULL DEFAULT false,
  held          integer NOT NULL DEFAULT 0 CHECK (held >= 0),
  sold          integer NOT NULL DEFAULT 0 CHECK (sold >= 0),
  created_at    timestamptz NOT NULL,
  CONSTRAINT ticket_types_not_oversold CHECK (held + sold <= capacity)
);
CREATE INDEX ticket_types_event_idx ON ticket_types (event_id, created_at, id);
CREATE UNIQUE INDEX ticket_types_event_name_key ON ticket_types (event_id, lower(name));

CREATE TABLE sections (
  id       uuid PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  name     text NOT NULL,
  position integer NOT NULL,
  UNIQUE (event_id, name)
);

CREATE TABLE seats (
  id             uuid PRIMARY KEY,
  event_id       uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  section_id     uuid NOT NULL REFERENCES sections (id) ON DELETE CASCADE,
  row_label      text NOT NULL,
  row_position   integer NOT NULL,
  label          text NOT NULL,
  position       integer NOT NULL,
  ticket_type_id uuid NOT NULL REFERENCES ticket_types (id),
  status         text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
  UNIQUE (section_id, row_label, label)
);
CREATE INDEX seats_event_idx ON seats (event_id, section_id, row_position, position);
CREATE INDEX seats_ticket_type_idx ON seats (ticket_type_id, status);

CREATE TABLE event_staff (
  event_id   uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id),
  granted_by uuid NOT NULL REFERENCES users (id),
  granted_at timestamptz NOT NULL,
  PRIMARY KEY (event_id, user_id)
);
