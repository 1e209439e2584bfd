/**
 * The local stack's HTTP surface: Stripe's webhook and Event Relay's platform events in, as API
 * Gateway and EventBridge would hand them to the Lambdas; SQS's JSON protocol and Lambda's Invoke
 * API for the AWS SDK and the operator CLI; the views and the page's replay button. HTTP
 * plumbing only; what each route does is the stack's (`LocalApi`).
 *
 * The stack has no login, so it answers only requests addressed to itself: the Host header must
 * name this machine's loopback at the stack's port (a page on another site that resolves its own
 * name to 127.0.0.1, DNS rebinding, is refused), and a request a browser sends from another
 * origin (Origin header) is refused before anything runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { errorCode, errorReason } from '../errors.js';
import type { WebhookRequest } from '../ingress/request.js';
import type { WebhookResponse } from '../ingress/responses.js';
import type { Logger } from '../logging.js';

export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LocalApi {
  webhook(request: WebhookRequest, rawBody: Buffer): Promise<WebhookResponse>;
  platformEvent(event: unknown): Promise<JsonReply>;
  /** SQS's JSON protocol; `baseUrl` is how the caller reached the stack. */
  sqs(target: string | undefined, body: string, baseUrl: string): Promise<RawReply>;
  /** Lambda's Invoke API. */
  lambda(path: string, invocationType: string | undefined, body: string): Promise<RawReply>;
  /**
   * Makes the embedded Salesforce reject the next write of one record with `code` (a validation
   * rule, say), so a newcomer can watch an event fail, land in the DLQ and be replayed.
   */
  rejectNextWrite(request: unknown): JsonReply;
  /** Plays a story (stories.ts) against the embedded services and answers what happened. */
  story(name: string): Promise<JsonReply>;
  /** The page's replay button: the CLI's selective replay of one DLQ entry; answers where to go next. */
  replay(queue: string, eventId: string): Promise<{ readonly location: string }>;
  health(): unknown;
  events(): unknown;
  event(id: string): unknown;
  records(): JsonReply;
  deadLetters(): unknown;
  /** The story page; `notice` says what the last action (a replay) did. */
  home(notice?: string): string;
  /** The raw tables: recent events, the embedded Salesforce's records, the DLQs. */
  raw(): string;
  /** One embedded Salesforce record's page (404 when unknown or Salesforce is real). */
  record(sobject: string, id: string): { readonly status: number; readonly html: string };
}

/** Larger than any webhook the ingress accepts (it answers 413 itself above its own limit). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge('Payload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(text);
}

function sendHtml(res: ServerResponse, html: string, status = 200): void {
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page has no scripts and loads nothing; say so to the browser too.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    })
    .end(html);
}

/** The Host values that name this stack: loopback names at its port. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set(['127.0.0.1', 'localhost', '[::1]'].map((host) => `${host}:${port}`));
}

function sendRaw(res: ServerResponse, reply: RawReply): void {
  res.writeHead(reply.status, { 'cache-control': 'no-store', ...reply.headers }).end(reply.body);
}

export function createRequestListener(api: LocalApi, logger: Logger, options: { readonly port: () => number }): RequestListener {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const only = (allowed: string): boolean => {
      if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
      sendJson(res, 405, { error: 'Method not allowed' }, { allow: allowed });
      return false;
    };
    const hosts = allowedHosts(options.port());
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) {
      sendJson(res, 421, { error: `This local stack answers only requests to ${[...hosts][0]} (or localhost); Host "${host}" is not it` });
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && !hosts.has(origin.replace(/^https?:\/\//, '').toLowerCase())) {
      sendJson(res, 403, { error: 'Cross-origin requests are refused: the local stack has no login' });
      return;
    }
    const baseUrl = `http://${host}`;
    const url = new URL(req.url ?? '/', baseUrl);
    const path = url.pathname.replace(/\/+$/, '') || '/';

    const amzTarget = req.headers['x-amz-target'];
    if (method === 'POST' && path === '/' && typeof amzTarget === 'string') {
      const raw = await readBody(req);
      sendRaw(res, await api.sqs(amzTarget, raw.toString('utf8'), baseUrl));
      return;
    }
    if (method === 'POST' && path.startsWith('/2015-03-31/functions/')) {
      const raw = await readBody(req);
      const type = req.headers['x-amz-invocation-type'];
      sendRaw(res, await api.lambda(path, typeof type === 'string' ? type : undefined, raw.toString('utf8')));
      return;
    }
    if (path === '/local/salesforce/reject-next-write') {
      if (!only('POST')) return;
      let request: unknown;
      try {
        request = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        sendJson(res, 400, { error: 'Body is not JSON' });
        return;
      }
      const reply = api.rejectNextWrite(request);
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (path.startsWith('/stories/')) {
      if (!only('POST')) return;
      await readBody(req);
      const reply = await api.story(decodeURIComponent(path.slice('/stories/'.length)));
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (path === '/dlq/replay') {
      if (!only('POST')) return;
      // Only the page's own form: a browser always sends Origin with a form POST.
      if (origin === undefined || origin === 'null') {
        sendJson(res, 403, { error: 'Replay from the page, or with the CLI: npx stripe-sf-bridge dlq replay --local --event-id …' });
        return;
      }
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const next = await api.replay(form.get('queue') ?? 'inbound', form.get('event') ?? '');
      res.writeHead(303, { location: next.location, 'cache-control': 'no-store' }).end();
      return;
    }
    if (path === '/stripe/webhook') {
      // Method checks are the ingress's own (it answers 405 as in AWS).
      const raw = await readBody(req);
      const response = await api.webhook(
        {
          // Base64 like API Gateway does for binary bodies: the signed bytes arrive untouched.
          body: raw.toString('base64'),
          isBase64Encoded: true,
          headers: headersOf(req),
          requestContext: { requestId: randomUUID(), http: { method } },
        },
        raw,
      );
      res.writeHead(response.statusCode, response.headers).end(response.body);
      return;
    }
    if (path === '/salesforce/events') {
      if (!only('POST')) return;
      const raw = await readBody(req);
      let event: unknown;
      try {
        event = JSON.parse(raw.toString('utf8'));
      } catch {
        sendJson(res, 400, { error: 'Body is not JSON: send the EventBridge event the outbound Lambda receives' });
        return;
      }
      const reply = await api.platformEvent(event);
      sendJson(res, reply.status, reply.body);
      return;
    }
    if (!only('GET')) return;
    if (path === '/healthz') return sendJson(res, 200, api.health());
    if (path === '/events') return sendJson(res, 200, api.events());
    if (path.startsWith('/events/')) {
      const entry = api.event(decodeURIComponent(path.slice('/events/'.length)));
      return entry === undefined ? sendJson(res, 404, { error: 'No such event in the recent activity' }) : sendJson(res, 200, entry);
    }
    if (path === '/salesforce/records') {
      const reply = api.records();
      return sendJson(res, reply.status, reply.body);
    }
    if (path === '/dlq') return sendJson(res, 200, api.deadLetters());
    if (path === '/raw') return sendHtml(res, api.raw());
    const recordPath = /^\/records\/([A-Za-z_]+)\/([A-Za-z0-9]+)$/.exec(path);
    if (recordPath !== null) {
      const reply = api.record(recordPath[1] as string, recordPath[2] as string);
      return sendHtml(res, reply.html, reply.status);
    }
    if (path === '/') {
      const replayed = url.searchParams.get('replayed');
      const outcome = url.searchParams.get('outcome');
      return sendHtml(res, api.home(replayed === null ? undefined : `Replay of ${replayed}: ${outcome ?? 'done'}`));
    }
    sendJson(res, 404, {
      error: 'Not found',
      routes: ['GET /', 'GET /healthz', 'POST /stripe/webhook', 'POST /salesforce/events', 'GET /events', 'GET /salesforce/records', 'GET /dlq', 'POST / (SQS JSON protocol)'],
    });
  };

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) {
        sendJson(res, 413, { error: 'Payload too large' }, { connection: 'close' });
        return;
      }
      logger.error({ code: errorCode(err), reason: errorReason(err) }, 'local stack request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error', code: errorCode(err) });
      else res.destroy();
    });
  };
}
