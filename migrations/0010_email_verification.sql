-- Email verification: an account registered while EMAIL_VERIFICATION=required logs in only once its owner has
-- followed the link mailed to the address (see src/services/accounts/EmailVerificationTokens.ts). NULL: not yet.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- Accounts that existed before verification was required are taken as verified since they were created.
UPDATE users SET email_verified_at = created_at;
