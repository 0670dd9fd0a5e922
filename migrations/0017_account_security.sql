-- Account recovery and security settings (src/domain/accounts/SecurityTokens.ts, TwoFactorRepository.ts).
-- One-time account tokens: a password reset link, an email change link (to the new address, which it carries) and
-- the second step of a login with two-factor authentication. Single use, short-lived, kept only as the SHA-256 (hex)
-- of the token.
CREATE TABLE account_tokens (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  purpose    text NOT NULL CHECK (purpose IN ('password_reset', 'email_change', 'login_challenge')),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  new_email  text CHECK (new_email = lower(new_email) AND length(new_email) BETWEEN 3 AND 254),
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
  used_at    timestamptz,
  revoked_at timestamptz,
  CHECK ((purpose = 'email_change') = (new_email IS NOT NULL))
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at);

-- TOTP two-factor authentication (organizers and admins). Pending until confirmed with a first code (enabled_at).
-- The shared secret must be kept as it is to check codes; last_used_step makes each code single use.
CREATE TABLE two_factor (
  user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret         text NOT NULL CHECK (secret ~ '^[A-Z2-7]{16,128}$'),
  created_at     timestamptz NOT NULL,
  enabled_at     timestamptz,
  last_used_step integer CHECK (last_used_step >= 0)
);

-- Recovery codes: the SHA-256 (hex) of each, single use.
CREATE TABLE two_factor_recovery_codes (
  user_id   uuid NOT NULL REFERENCES two_factor (user_id) ON DELETE CASCADE,
  code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  used_at   timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- An erased account (erase_account, 0009) keeps no way back in: its pending links, challenges and two-factor secret
-- go with the erasure, in its transaction.
CREATE FUNCTION forget_account_security() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM account_tokens WHERE user_id = NEW.id;
  DELETE FROM two_factor WHERE user_id = NEW.id;
  RETURN NEW;
END
$$;

CREATE TRIGGER users_forget_account_security
  AFTER UPDATE OF erased_at ON users
  FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
  EXECUTE FUNCTION forget_account_security();
