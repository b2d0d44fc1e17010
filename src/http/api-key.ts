/** The API key of a request: `x-api-key`, or `Authorization: Bearer <key>`. */
export function apiKeyFrom(headers: Headers): string | undefined {
  const direct = headers.get('x-api-key');
  if (direct) return direct.trim();
  const auth = headers.get('authorization');
  const match = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return match?.[1];
}
