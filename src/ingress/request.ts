/**
 * Reading the API Gateway HTTP API (payload v2) request: method, headers and the raw body bytes
 * that Stripe signed. The subset of `APIGatewayProxyEventV2` the ingress needs, so the local
 * stack can call the same core.
 */
export interface WebhookRequest {
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean | undefined;
  readonly headers?: Readonly<Record<string, string | undefined>> | undefined;
  readonly requestContext: {
    readonly requestId?: string | undefined;
    readonly http: { readonly method: string };
  };
}

/** API Gateway lower-cases header names, but other callers (the local stack, tests) may not. */
export function headerValue(request: WebhookRequest, name: string): string | undefined {
  const headers = request.headers;
  if (headers === undefined) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Size of the body in bytes as Stripe sent it, computed without decoding it. */
export function bodyByteLength(request: WebhookRequest): number {
  const body = request.body ?? '';
  return Buffer.byteLength(body, request.isBase64Encoded === true ? 'base64' : 'utf8');
}

/**
 * Whether the body is larger than `maxBytes`. Counting UTF-8 bytes walks the whole body, so the
 * length decides first when it can: a UTF-16 code unit is at most 3 UTF-8 bytes, and base64 text
 * decodes to fewer bytes than it has characters.
 */
export function bodyExceeds(request: WebhookRequest, maxBytes: number): boolean {
  const length = request.body?.length ?? 0;
  if (length * 3 <= maxBytes) return false;
  return bodyByteLength(request) > maxBytes;
}

/** The signed bytes: base64-decoded when API Gateway encoded them, otherwise the text as is. */
export function rawBody(request: WebhookRequest): Buffer | string {
  const body = request.body ?? '';
  return request.isBase64Encoded === true ? Buffer.from(body, 'base64') : body;
}
