// Target 2, durability: kill -9 in the middle of erasing a chat of 1,000,000 messages,
// restart, and the erasure finishes, with no message readable in between.
//
//   npx tsx bench/erasure-crash.ts [--messages 1000000] [--kill-at 40]
//
// The server (as shipped, in its own process) answers deleteChat and starts erasing; once
// --kill-at % of the messages are erased, the process gets SIGKILL. While it is down the
// file is checked (rows still there, the chat marked deleted, the job unfinished). Then a
// new server starts on the same file; from the moment it answers, reads of the chat, its
// thread and its messages run back to back until the job has finished: every one must
// find nothing. At the end: no row of the chat left, the job's done = total = the count
// the mutation answered, the WAL emptied.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { startServer } from './lib/child.ts';
import { KIND, benchId, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { fmt, heading, HttpClient, intArg, mb, reportLoad, sleep, table, tempDir, verdict } from './lib/util.ts';

const MESSAGES = intArg('messages', 1_000_000);
const KILL_AT = intArg('kill-at', 40);
const OTHER_CHATS = 100;
const BIG = OTHER_CHATS + 1;

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedMessageCount erasureJob { id } } ... on Error { message } } }`;
const READS = `query($chat: ID!, $thread: ID!, $flow: ID!) {
  chat(id: $chat) { id }
  thread(id: $thread) { id }
  messages(flowId: $flow, filter: { chatId: $chat }, first: 1) { edges { node { id } } }
}`;

interface Job {
  total: number;
  done: number;
  finished_at: string | null;
}

async function main() {
  const dir = tempDir('erasure-crash');
  heading(`Target 2: kill -9 while erasing a chat of ${MESSAGES.toLocaleString('en-US')} messages`);
  const path = join(dir, 'crash.db');
  const b = await createBenchDatabase(path);
  const load = openForLoad(path);
  insertChats(load, b, { first: 1, count: OTHER_CHATS, perChat: 10, firstMessage: 1 });
  insertChats(load, b, { first: BIG, count: 1, perChat: MESSAGES, firstMessage: 100_000_000 });
  finishLoad(load);
  console.log(`data: ${mb(statSync(path).size)}`);
  const chatId = benchId(KIND.chat, BIG);
  const threadId = benchId(KIND.thread, BIG);

  const reader = new SQLite(path, { readonly: true });
  reader.pragma('busy_timeout = 5000');
  const jobOf = (id: string) => reader.prepare('select total, done, finished_at from erasure_jobs where id = ?').get(id) as Job | undefined;
  const rowsLeft = () => (reader.prepare('select count(*) as n from messages where chat_id = ?').get(chatId) as { n: number }).n;
  const chatRow = () => reader.prepare('select deleted_at from chats where id = ?').get(chatId) as { deleted_at: string | null } | undefined;

  // --- first life: delete, erase until KILL_AT %, SIGKILL ----------------------------------
  const first = await startServer('ours', { db: path });
  const client = new HttpClient(first.url);
  const t0 = performance.now();
  const answer = (await client.gql(DELETE, { id: chatId })).deleteChat;
  if (answer.__typename !== 'DeleteChatSuccess' || !answer.erasureJob) throw new Error(`deleteChat answered ${JSON.stringify(answer)}`);
  const jobId: string = answer.erasureJob.id;
  const answeredMs = performance.now() - t0;
  let atKill: Job | undefined;
  for (;;) {
    atKill = jobOf(jobId);
    if (atKill && atKill.done >= (MESSAGES * KILL_AT) / 100) break;
    if (atKill?.finished_at) throw new Error('the erasure finished before the kill: use a bigger --messages or a smaller --kill-at');
    await sleep(5);
  }
  process.kill(first.pid, 'SIGKILL');
  const killedMs = performance.now() - t0;
  client.close();
  await sleep(200);
  const downRows = rowsLeft();
  const downJob = jobOf(jobId)!;
  const downChat = chatRow();

  // --- second life: restart, read back to back until the job has finished -----------------
  const restartAt = performance.now();
  const second = await startServer('ours', { db: path });
  const readyMs = performance.now() - restartAt;
  const probe = new HttpClient(second.url);
  let reads = 0;
  let sawSomething = 0;
  let finishedMs = Number.NaN;
  while (performance.now() - restartAt < 900_000) {
    const r = await probe.gql(READS, { chat: chatId, thread: threadId, flow: b.flowId });
    reads++;
    if (r.chat !== null || r.thread !== null || r.messages.edges.length > 0) sawSomething++;
    const job = jobOf(jobId);
    if (job?.finished_at) {
      finishedMs = performance.now() - restartAt;
      break;
    }
  }
  const finalJob = jobOf(jobId)!;
  const left = rowsLeft();
  const wal = `${path}-wal`;
  await sleep(100);
  const walBytes = existsSync(wal) ? statSync(wal).size : 0;
  probe.close();
  await second.stop();
  reader.close();

  console.log('');
  table([
    ['figure', 'value'],
    ['deleteChat answered after', `${fmt(answeredMs, 0)} ms (deletedMessageCount ${answer.deletedMessageCount})`],
    ['SIGKILL sent after', `${fmt(killedMs, 0)} ms, at done ${atKill.done.toLocaleString('en-US')} of ${atKill.total.toLocaleString('en-US')}`],
    ['while down: messages on file / job done / chat row', `${downRows.toLocaleString('en-US')} / ${downJob.done.toLocaleString('en-US')} / ${downChat ? `marked deleted at ${downChat.deleted_at}` : 'gone'}`],
    ['restarted server ready after', `${fmt(readyMs, 0)} ms`],
    ['erasure finished after the restart', `${fmt(finishedMs, 0)} ms`],
    ['reads between restart and finish / that found anything', `${reads} / ${sawSomething}`],
    ['job at the end: total / done', `${finalJob.total.toLocaleString('en-US')} / ${finalJob.done.toLocaleString('en-US')}`],
    ['messages of the chat left / WAL bytes', `${left} / ${walBytes}`],
  ]);
  console.log('');
  const exact = finalJob.total === MESSAGES && finalJob.done === MESSAGES && answer.deletedMessageCount === MESSAGES;
  table([
    ['target', 'finding', 'verdict'],
    ['the queue survives kill -9 and finishes after the restart', `finished ${fmt(finishedMs / 1000)} s after the restart, ${left} left`, verdict(Number.isFinite(finishedMs) && left === 0)],
    ['no message readable in between', `${sawSomething} of ${reads} reads found something`, verdict(sawSomething === 0 && reads > 0)],
    ['counts exact across the kill (answer, job total and done)', `${answer.deletedMessageCount} / ${finalJob.total} / ${finalJob.done}`, verdict(exact)],
  ]);
}

reportLoad('start');
await main();
reportLoad('end');
