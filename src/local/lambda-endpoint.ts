/**
 * Lambda's Invoke API for the local stack's outbound function, so `dlq replay --queue outbound`
 * works locally as in AWS: `POST /2015-03-31/functions/{FunctionName}/invocations`, where
 * `X-Amz-Invocation-Type: Event` queues the event and answers 202, `RequestResponse` (the
 * default) answers 200 with the result, `DryRun` answers 204 ("Invoke", AWS Lambda API
 * reference: https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html). An unknown function
 * is a 404 `ResourceNotFoundException`. Lambda's retries of a failed asynchronous invocation are
 * not emulated: the function's own failure handling (the outbound DLQ) applies at once.
 */
export const INVOCATIONS_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LambdaReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LocalFunction {
  readonly name: string;
  /** Runs the function; resolves with its result, rejects with its error. */
  invoke(event: unknown): Promise<unknown>;
}

export interface LambdaEndpoint {
  handle(path: string, invocationType: string | undefined, body: string): Promise<LambdaReply>;
  /** Resolves when every asynchronous invocation started so far has finished. */
  idle(): Promise<void>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): LambdaReply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const error = (status: number, type: string, message: string): LambdaReply =>
  json(status, { Type: 'User', message }, { 'x-amzn-errortype': type });

export function createLambdaEndpoint(functions: readonly LocalFunction[]): LambdaEndpoint {
  const running = new Set<Promise<unknown>>();
  return {
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async handle(path, invocationType, body) {
      const match = INVOCATIONS_PATH.exec(path);
      const requested = decodeURIComponent(match?.[1] ?? '');
      // A name, a full or partial ARN, or name:qualifier.
      const arnName = /(?:^|:)function:([^:]+)/.exec(requested)?.[1];
      const name = arnName ?? requested.split(':')[0] ?? '';
      const fn = functions.find((f) => f.name === name);
      if (fn === undefined) return error(404, 'ResourceNotFoundException', `Function not found: ${requested}`);
      let event: unknown;
      try {
        event = JSON.parse(body === '' ? '{}' : body);
      } catch {
        return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      const type = invocationType ?? 'RequestResponse';
      if (type === 'DryRun') return { status: 204, headers: {}, body: '' };
      if (type === 'Event') {
        const run = fn.invoke(event).catch(() => undefined);
        running.add(run);
        void run.finally(() => running.delete(run));
        return { status: 202, headers: {}, body: '' };
      }
      if (type !== 'RequestResponse') return error(400, 'InvalidParameterValueException', `Unknown InvocationType ${type}`);
      try {
        return json(200, (await fn.invoke(event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const errorType = err instanceof Error ? err.name : 'Error';
        return json(200, { errorType, errorMessage: message }, { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
      }
    },
  };
}
