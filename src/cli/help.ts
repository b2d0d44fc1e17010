// The texts of `chat-gateway help` and `chat-gateway <command> --help`.

const DATABASE = 'DATABASE_URL (data/chat-gateway.db; a SQLite file, :memory: or a postgres:// URL)';

interface CommandHelp {
  usage: string;
  summary: string;
  details: string[];
  /** The settings the command reads (environment or config file). */
  settings: string[];
}

export const COMMANDS: Record<string, CommandHelp> = {
  serve: {
    usage: 'serve [--demo] [--config FILE]',
    summary: 'serve GraphQL (and GraphiQL) at http://HOST:PORT/graphql',
    details: [
      '--demo  load the deterministic demo data into an empty database and prefill',
      '        GraphiQL with the demo key and example operations',
      'Also serves the seed REST routes (/api/v1/...), /healthz, /readyz and /metrics.',
      'SIGTERM or SIGINT stops it gracefully: subscriptions end, streams are cancelled.',
    ],
    settings: [
      'PORT (4000), HOST (127.0.0.1)',
      DATABASE,
      'API_KEY_CACHE_MS (10000; PostgreSQL: how long a key found active is reused; 0 turns it off)',
      'REDIS_URL (unset: one process; set: live state shared by replicas), LIVE_CONNECTION_TTL_MS (15000)',
      'THREAD_RESTORE_DAYS (30), PURGE_INTERVAL_MS (60000), STREAM_TOKEN_INTERVAL_MS (50), IDEMPOTENCY_TTL_HOURS (24),',
      "AUDIT_SEAL_INTERVAL_MS (1000; how often new audit entries are sealed into their tenant's hash chain)",
      'IDEMPOTENCY_LEASE_SECONDS (300; a key claimed by a request that died is taken over by its retry after this)',
      'GRAPHQL_MAX_DEPTH (12), GRAPHQL_MAX_ALIASES (30), GRAPHQL_MAX_DIRECTIVES (50), GRAPHQL_MAX_TOKENS (5000),',
      'GRAPHQL_MAX_COST (500000), REQUEST_BODY_LIMIT_BYTES (2097152), GRAPHQL_INTROSPECTION (true),',
      'RATE_LIMIT_WRITES_PER_MINUTE (600; 0 turns it off), LOG_LEVEL (info)',
      'LLM_BASE_URL (unset: streams echo the prompt; set: an OpenAI-compatible upstream generates them), with',
      '  LLM_MODEL (required then), LLM_API_KEY (unset: no Authorization header), LLM_TIMEOUT_MS (30000; longest silence)',
      'ERASURE_TARGET_HOSTS (empty: no erasure target allowed; a comma-separated list of host or host:port),',
      '  ERASURE_RETRY_MAX_MS (60000; the longest pause between attempts), ERASURE_RETRY_HOURS (72; then a copy is FAILED)',
      'RETENTION_INTERVAL_MS (3600000; how often the retention policies run; 0: only by runRetention and the retention command)',
    ],
  },
  migrate: {
    usage: 'migrate [--config FILE]',
    summary: 'bring the database schema up to date (serve does it too, at start)',
    details: [],
    settings: [DATABASE],
  },
  seed: {
    usage: 'seed [--config FILE]',
    summary: 'load the deterministic demo data into an empty database and print the demo keys',
    details: ['A database that already holds data is left as it is.'],
    settings: [DATABASE],
  },
  'create-key': {
    usage: 'create-key --tenant NAME [--name KEY] [--scopes read,write,delete,admin] [--config FILE]',
    summary: 'create an API key (and the tenant if new)',
    details: [
      '--tenant NAME   the tenant the key reads and writes',
      '--name KEY      a name for the key (default: NAME-key), used by rotate-key and revoke-key',
      '--scopes LIST   what the key may do: any of read, write, delete, admin (default: read, write, delete; admin manages erasure targets and legal holds)',
      'The key is printed once, alone on the last line; only its hash is stored.',
    ],
    settings: [DATABASE],
  },
  'rotate-key': {
    usage: 'rotate-key --tenant NAME --name KEY [--config FILE]',
    summary: 'replace a key with a new one with the same permissions',
    details: ['The old key stops working at once; the new one is printed once, on the last line.'],
    settings: [DATABASE],
  },
  'revoke-key': {
    usage: 'revoke-key --tenant NAME --name KEY [--config FILE]',
    summary: 'revoke every active key of that name',
    details: ['Fails (exit 1) when the tenant has no active key of that name.'],
    settings: [DATABASE],
  },
  purge: {
    usage: 'purge [--config FILE]',
    summary: 'erase the soft-deleted threads whose restore window has passed',
    details: [
      'The server does this on its own every PURGE_INTERVAL_MS; a progress bar shows on a terminal.',
      'Threads a legal hold covers stay, soft-deleted, until it is released; it says how many.',
    ],
    settings: [DATABASE],
  },
  hold: {
    usage: 'hold place|release|list --tenant NAME [options] [--config FILE]',
    summary: "place, release or list a tenant's legal holds",
    details: [
      'place --scope FLOW|CHAT|SESSION --target ID --reason TEXT',
      '        nothing the hold covers can be erased until it is released: a FLOW or CHAT id,',
      "        or a session id (that subject's messages in every flow); prints the hold's id",
      'release --id HOLD   lets it be erased again (a released hold answers as it is)',
      'list [--active true|false]   active holds, released ones, or (without it) all',
      'Audited as legal_hold.place and legal_hold.release with the actor system:cli.',
    ],
    settings: [DATABASE],
  },
  'retention-policy': {
    usage: 'retention-policy set|remove|list --tenant NAME [options] [--config FILE]',
    summary: "set, remove or list a tenant's retention policies",
    details: [
      'set [--flow FLOW_ID] --max-age-days N   a flow\'s policy, or without --flow the tenant\'s',
      '        default: its chats idle (no new message) for more than N days are erased by the',
      '        retention runs; setting one that exists changes it (same id)',
      'remove --id POLICY   the flow falls back to the default, or nothing is erased by age',
      'list                 every policy of the tenant, the default first',
      'Audited as retention_policy.set and retention_policy.remove with the actor system:cli.',
    ],
    settings: [DATABASE],
  },
  retention: {
    usage: 'retention [--dry-run] [--config FILE]',
    summary: "run every tenant's retention policies now: erase the chats past their age",
    details: [
      '--dry-run  count what a run would erase (and what a legal hold keeps) and change nothing',
      'A chat whose last activity (its newest message, else its creation) is older than its',
      "flow's policy, or the tenant's default, is erased as deleteChat(force: true) erases it,",
      'copies elsewhere included; each erasure is audited with the actor system:retention.',
      'The server does this on its own every RETENTION_INTERVAL_MS. One run at a time across',
      'servers and commands: while one is under way this exits 1 and changes nothing.',
      'Policies are set with retention-policy or the setRetentionPolicy mutation (an admin key).',
    ],
    settings: [DATABASE, 'REDIS_URL (set when the servers share live state: their subscribers are told)'],
  },
  export: {
    usage: 'export CHAT_ID --tenant NAME [--config FILE]',
    summary: 'write a chat, its threads and every message to stdout as NDJSON, e.g. before deleting it',
    details: [
      '--tenant NAME  the tenant the chat belongs to (a chat of another tenant is not found)',
      'One JSON record a line, in the format chat-gateway.chat-export.v1 (README "Export before',
      'delete"), the same as GET /api/v1/chats/{chat_id}/export; read page by page, in bounded',
      'memory at any size. Output without the last line, {"type":"end",...}, is incomplete.',
      'Exits 1 when the chat is not found (or is deleted while it is written), 2 when there is no such tenant.',
    ],
    settings: [DATABASE],
  },
  doctor: {
    usage: 'doctor [--config FILE]',
    summary: 'check the database: integrity, foreign keys, erasures still queued',
    details: ['Exits 1 when a check fails.'],
    settings: [DATABASE],
  },
  'verify-audit': {
    usage: 'verify-audit [--tenant NAME] [--config FILE]',
    summary: "check each tenant's audit hash chain and name its first break",
    details: [
      "--tenant NAME  check only this tenant's chain",
      'Recomputes the hash of every sealed entry, follows the links from entry to entry and',
      "checks that each chain ends where its head says, so an altered entry, a removed one and",
      'a removed last one all show. It reads the log page by page and seals nothing: entries',
      'not sealed yet (the server seals them within AUDIT_SEAL_INTERVAL_MS) are counted, not checked.',
      'Exits 0 when every chain is intact, 1 when one is broken, 2 when there is no such tenant.',
    ],
    settings: [DATABASE],
  },
  help: {
    usage: 'help [COMMAND]',
    summary: 'show this help, or the help of one command',
    details: [],
    settings: [],
  },
};

const CONFIG = `Settings come from the environment, or from a JSON config file named by --config FILE
or CONFIG_FILE, whose keys are the same names ({"PORT": 4100, "LOG_LEVEL": "debug"}); the
environment wins over the file; an empty variable counts as unset. A bad value stops the
command with one line naming it.`;

export function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return `chat-gateway: a GraphQL gateway over chat data whose core job is deleting it

Usage: chat-gateway <command> [options]

Commands:
${lines.join('\n')}

"chat-gateway <command> --help" (or "chat-gateway help <command>") tells more about one.

${CONFIG}
Every setting, with its default:
${COMMANDS.serve!.settings.map((s) => `  ${s}`).join('\n')}`;
}

export function commandHelp(name: string): string | undefined {
  const c = COMMANDS[name];
  if (!c) return undefined;
  const sections = [`Usage: chat-gateway ${c.usage}`, '', c.summary];
  if (c.details.length > 0) sections.push('', ...c.details);
  if (c.settings.length > 0) sections.push('', 'Settings it reads:', ...c.settings.map((s) => `  ${s}`));
  if (name !== 'help') sections.push('', '--config FILE  read settings from this JSON file too (or set CONFIG_FILE)');
  return sections.join('\n');
}
