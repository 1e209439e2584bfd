/**
 * The local stack's HTTP surface: Stripe's webhook and Event Relay's platform events in, as API
 * Gateway and EventBridge would hand them to the Lambdas, plus read-only views. HTTP plumbing
 * only; what each route does is the stack's (`LocalApi`).
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

export interface LocalApi {
  webhook(request: WebhookRequest, rawBody: Buffer): Promise<WebhookResponse>;
  platformEvent(event: unknown): Promise<JsonReply>;
  health(): unknown;
  events(): unknown;
  event(id: string): unknown;
  records(): JsonReply;
  deadLetters(): unknown;
  home(): string;
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

function sendHtml(res: ServerResponse, html: string): void {
  res
    .writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page has no scripts and loads nothing; say so to the browser too.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    })
    .end(html);
}

export function createRequestListener(api: LocalApi, logger: Logger): RequestListener {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://local.invalid').pathname.replace(/\/+$/, '') || '/';
    const only = (allowed: string): boolean => {
      if (method === allowed || (allowed === 'GET' && method === 'HEAD')) return true;
      sendJson(res, 405, { error: 'Method not allowed' }, { allow: allowed });
      return false;
    };

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
    if (path === '/') return sendHtml(res, api.home());
    sendJson(res, 404, { error: 'Not found', routes: ['GET /', 'GET /healthz', 'POST /stripe/webhook', 'POST /salesforce/events', 'GET /events', 'GET /salesforce/records', 'GET /dlq'] });
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
