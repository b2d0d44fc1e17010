// The two rules about an erasure target's URL: where the server may call, and what of
// the URL may be shown.

const DEFAULT_PORTS: Record<string, string> = { 'redis:': '6379', 'rediss:': '6379', 'http:': '80', 'https:': '443' };

/** The URL as it may be shown or logged: a Redis password or basic-auth user never leaves the server. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Whether ERASURE_TARGET_HOSTS lets the server call `url`: an entry `name` allows the host
 * on any port, `name:port` that port only. Checked when a target is added and again before
 * every delivery, so narrowing the setting stops calls at once.
 */
export function hostAllowed(url: string, allowed: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname.toLowerCase();
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol] || '';
  return allowed.some((entry) => entry === host || entry === `${host}:${port}`);
}
