import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from './demo-server.ts';

// A person's first minute: GraphiQL on `serve --demo`, in Debian's Chromium (headless, driven
// by playwright-core; no browser is ever downloaded). It runs deleteChat on the demo chat and
// reads the result off the page, then leaves a screenshot in test-artifacts/.

const CHROMIUM = '/usr/bin/chromium';
const DEMO_CHAT = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const DEMO_KEY = 'cgw_demo_acme_2f6c1d9a';
const root = new URL('../..', import.meta.url).pathname;
const artifacts = join(root, 'test-artifacts');
const screenshot = join(artifacts, 'graphiql-delete-chat.png');

const MUTATION = `mutation DeleteDemoChat {
  deleteChat(id: "${DEMO_CHAT}") {
    __typename
    ... on DeleteChatSuccess {
      success
      message
      deletedThreadCount
      deletedMessageCount
    }
    ... on Error { message }
  }
}
`;

const hasChromium = existsSync(CHROMIUM);
const skipReason = `${CHROMIUM} is missing (apt-get install -y chromium)`;
if (!hasChromium) console.warn(`test/browser/graphiql.test.ts SKIPPED: ${skipReason}`);

/** The text a pane shows. Monaco renders spaces as no-break spaces; make them plain again. */
async function paneText(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().innerText()).replace(/\u00a0/g, ' ');
}

describe.skipIf(!hasChromium)(
  hasChromium ? 'GraphiQL in headless Chromium' : `GraphiQL in headless Chromium: SKIPPED, ${skipReason}`,
  () => {
    let server: DemoServer;
    let profile: string;
    let context: BrowserContext;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      server = await startDemoServer();
      profile = mkdtempSync(join(tmpdir(), 'cgw-chromium-profile-'));
      // A persistent context because Chromium gets its own new, empty --user-data-dir
      // (playwright refuses that flag in launch()'s args).
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1280, height: 800 },
        timeout: 30_000,
      });
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await server?.stop();
      if (profile) rmSync(profile, { recursive: true, force: true });
    }, 30_000);

    it('runs deleteChat on the demo chat and shows the success on the page', async () => {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (error) => pageErrors.push(error.message));

      // GraphiQL takes its editor's content from ?query= (yoga's GraphiQL honours it), which
      // is sturdier than typing into Monaco, whose auto-closing brackets would mangle keystrokes.
      await page.goto(`${server.url}/graphql?query=${encodeURIComponent(MUTATION)}`);
      const run = page.locator('button.graphiql-execute-button');
      await run.waitFor({ state: 'visible', timeout: 30_000 });
      await expect.poll(() => paneText(page, '.graphiql-query-editor'), { timeout: 10_000 }).toContain(
        `deleteChat(id: "${DEMO_CHAT}")`,
      );
      // Demo mode prefills the demo key in the headers editor.
      expect((await page.locator('.graphiql-editor-tool').first().textContent()) ?? '').toContain(DEMO_KEY);

      const answered = page.waitForResponse(
        (r) =>
          r.url().startsWith(`${server.url}/graphql`) &&
          r.request().method() === 'POST' &&
          (r.request().postData() ?? '').includes('DeleteDemoChat'),
        { timeout: 20_000 },
      );
      await run.click();
      const response = await answered;
      expect(response.status()).toBe(200);
      expect(await response.json()).toMatchObject({
        data: { deleteChat: { __typename: 'DeleteChatSuccess', success: true, message: 'Chat deleted successfully' } },
      });

      let shown = '';
      try {
        await expect
          .poll(async () => (shown = await paneText(page, '.graphiql-response')), { timeout: 15_000 })
          .toContain('Chat deleted successfully');
      } finally {
        mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: screenshot, fullPage: true });
      }
      expect(shown).toContain('"success": true');
      expect(shown).toContain('"__typename": "DeleteChatSuccess"');
      expect(pageErrors).toEqual([]);

      // And the chat is really gone.
      const check = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': DEMO_KEY },
        body: JSON.stringify({ query: `{ chat(id: "${DEMO_CHAT}") { id } }` }),
      });
      expect(await check.json()).toEqual({ data: { chat: null } });
    }, 90_000);
  },
);
