-- A registration's confirmation mail goes out from the outbox: the account and its AccountRegistered event commit
-- together, so a process that stops after answering the registration still leaves the mail to be sent (by whichever
-- process relays the outbox next). The event carries the account's id only, never a token nor the address (an erased
-- account must leave nothing personal behind): the consumer reads the address and makes the link when it makes the
-- mail (src/services/accounts/RegistrationMails.ts).

-- The event of an account whose address is to be confirmed; called by the trigger below for a new account and by
-- UserRepositoryPg.takeOverUnverified for an unverified account a new registration takes over (in its statement).
CREATE FUNCTION account_registered(p_user_id uuid) RETURNS void LANGUAGE sql AS $$
  SELECT outbox_write('AccountRegistered', 'account', p_user_id, jsonb_build_object('userId', p_user_id))
$$;

-- Accounts created verified (the configured admin, the demo organizer) have nothing to confirm.
CREATE FUNCTION users_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM account_registered(NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER users_outbox AFTER INSERT ON users
  FOR EACH ROW WHEN (NEW.email_verified_at IS NULL) EXECUTE FUNCTION users_outbox();
