/** Variables whose values are secrets of the app itself. */
const APP_SECRET_VARS = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "CHANT_ADMIN_PASSWORD",
  "CHANT_METRICS_TOKEN",
];

/**
 * The secret values of this process, to redact from every output (logs,
 * comments, check runs, pull requests): the app's own, the password in
 * CHANT_REDIS_URL, and the values of the variables CHANT_REDACT names
 * (comma-separated), e.g. `CHANT_REDACT=NPM_TOKEN,SENTRY_DSN`.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = [
    ...APP_SECRET_VARS,
    ...(env.CHANT_REDACT ?? "")
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
  ];
  const values = names
    .map((n) => env[n])
    .filter((v): v is string => typeof v === "string" && v.length > 0);
  try {
    const password = new URL(env.CHANT_REDIS_URL ?? "").password;
    if (password) values.push(decodeURIComponent(password));
  } catch {
    // Not a URL: nothing to take from it.
  }
  return [...new Set(values)];
}
