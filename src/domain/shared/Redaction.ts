/**
 * An e-mail address as logs and audit summaries may show it: the first letter of the local part and the domain
 * (`g***@example.com`), enough to tell accounts apart when investigating, not enough to contact or look someone up.
 */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf("@")
  if (at <= 0) return "***"
  return `${email.slice(0, 1)}***${email.slice(at)}`
}
