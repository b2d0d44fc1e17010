import type { Plugin } from 'graphql-yoga';
import type { DataStore } from '../data/data-store.ts';
import { readiness } from '../domain/doctor.ts';

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

/**
 * GET /healthz: the process is up. GET /readyz: it can serve, i.e. the database answers
 * and its schema is current; 503 otherwise, so a load balancer stops sending traffic.
 * Neither needs an API key.
 */
export function useHealthChecks(store: DataStore): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (request.method !== 'GET') return;
      if (url.pathname === '/healthz') {
        endResponse(json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        const checks = await readiness(store);
        const ready = checks.database && checks.migrations;
        endResponse(json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503));
      }
    },
  };
}
