/**
 * Hands a verified Stripe event to the inbound queue. Success means SQS accepted (stored) the
 * message; only then may the webhook answer 2xx.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SendMessageCommandOutput } from '@aws-sdk/client-sqs';
import { PermanentError, TransientError, errorCode } from '../errors.js';
import { buildInboundMessage, type OutgoingInboundMessage, type PayloadKind, type StripeEventSummary } from './inbound-message.js';

/** What the ingress needs from an SQS client (the local stack's in-process queue fits too). */
export interface MessageSender {
  send(command: SendMessageCommand): Promise<SendMessageCommandOutput>;
}

export interface EnqueueTarget {
  readonly sqs: MessageSender;
  readonly queueUrl: string;
  readonly maxMessageBytes: number;
}

export interface Enqueued {
  readonly kind: PayloadKind;
  readonly messageId: string | undefined;
}

/**
 * SQS refuses bodies holding characters outside its XML-safe set (U+FFFE, U+FFFF, raw control
 * characters). Rare in JSON, so instead of scanning every body we react to the refusal.
 */
const INVALID_CONTENTS = 'InvalidMessageContents';

interface AwsErrorShape {
  readonly $fault?: unknown;
  readonly $retryable?: { readonly throttling?: boolean } | undefined;
}

function command(target: EnqueueTarget, message: OutgoingInboundMessage): SendMessageCommand {
  return new SendMessageCommand({
    QueueUrl: target.queueUrl,
    MessageBody: message.MessageBody,
    MessageAttributes: message.MessageAttributes,
  });
}

export async function enqueueEvent(target: EnqueueTarget, eventJson: string, event: StripeEventSummary): Promise<Enqueued> {
  let message = buildInboundMessage(eventJson, event, target.maxMessageBytes);
  try {
    let sent: SendMessageCommandOutput;
    try {
      // Awaited here rather than chained with `.then`: one promise and one closure less per webhook.
      sent = await target.sqs.send(command(target, message));
    } catch (err) {
      if (message.kind !== 'inline' || errorCode(err) !== INVALID_CONTENTS) throw err;
      // The body cannot travel through SQS: send a reference (limit 0), the consumer fetches the event.
      message = buildInboundMessage(eventJson, event, 0);
      sent = await target.sqs.send(command(target, message));
    }
    return { kind: message.kind, messageId: sent.MessageId };
  } catch (err) {
    const aws = err as AwsErrorShape;
    const details = { sqsError: errorCode(err) };
    // A client fault that is not throttling (access denied, missing queue, disabled KMS key) is
    // our configuration, not a blip: report it as such so it pages someone; Stripe retries either way.
    if (aws.$fault === 'client' && aws.$retryable?.throttling !== true) {
      throw new PermanentError('SQS refused the message', { code: 'SQS_REJECTED', cause: err, details });
    }
    throw new TransientError('SQS did not accept the message', { code: 'SQS_UNAVAILABLE', cause: err, details });
  }
}
