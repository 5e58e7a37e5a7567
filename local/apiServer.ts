/**
 * The REST API on loopback HTTP for the local stack (no authentication: it binds to 127.0.0.1
 * only; in AWS the same router sits behind API Gateway with IAM authorization), and the campaign
 * dashboard's static files at `/` and `/dashboard/*`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeApiRequest, type ApiDependencies } from '../functions/api/routes/index.ts';
import { isDashboardPath, readDashboardFile } from './dashboardFiles.ts';
import { localCaller } from './localCaller.ts';
import { rolesAllow } from '../core/access/roles.ts';
import { ApiError, errorBody } from '../functions/api/http.ts';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startApiServer(deps: ApiDependencies, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (isDashboardPath(url.pathname)) {
          const file = await readDashboardFile(req.method ?? 'GET', url.pathname);
          res.writeHead(file.status, file.headers);
          res.end(req.method === 'HEAD' ? undefined : file.body);
          return;
        }
        const body = await readBody(req);
        const caller = localCaller(req.headers);
        if (!caller.success) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify(errorBody(caller.error)));
          return;
        }
        const method = req.method ?? 'GET';
        // What IAM decides in AWS (the role's managed policy), decided here from the same table.
        if (caller.data.roles !== undefined && !rolesAllow(caller.data.roles, method, url.pathname)) {
          res.writeHead(403, { 'content-type': 'application/json' });
          res.end(JSON.stringify(errorBody(new ApiError(403, 'FORBIDDEN', `${caller.data.actor} (${caller.data.roles.join(', ')}) may not ${method} ${url.pathname}`))));
          return;
        }
        const response = await routeApiRequest(deps, {
          method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          ...(body === undefined ? {} : { body }),
          actor: caller.data.actor,
          ...(caller.data.roles === undefined ? {} : { roles: caller.data.roles }),
          // Node gives header names in lower case; repeated headers (arrays) are not ones the routes read.
          headers: Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
        });
        res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
        res.end(JSON.stringify(response.body));
      } catch (error) {
        res.writeHead(error instanceof BodyTooLargeError ? 413 : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: error instanceof BodyTooLargeError ? 'BODY_TOO_LARGE' : 'INTERNAL', message: error instanceof Error ? error.message : String(error) } }));
      }
    })().catch((error: unknown) => {
      // The answer itself failed (the client went away mid-write): nothing more can be said to it.
      process.stderr.write(`api: could not answer ${req.method ?? ''} ${req.url ?? ''}: ${error instanceof Error ? error.message : String(error)}\n`);
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${address.port}` };
}

class BodyTooLargeError extends Error {
  constructor() {
    super(`request body larger than ${MAX_BODY_BYTES} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
}
