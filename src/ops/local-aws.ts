/**
 * How AWS SDK clients reach the local stack's SQS and Lambda endpoints: the stack's URL as the
 * endpoint, a fixed region, and obviously fake static credentials (the stack checks no
 * signatures; fake ones keep the SDK from looking for real ones in ~/.aws).
 */
/** The local stack's SQS account and region (queue ARNs and URLs name them). */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface LocalAwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local-stack-not-a-key', secretAccessKey: 'local-stack-not-a-secret' } as const;

export function localAwsConfig(stackUrl: string): LocalAwsClientConfig {
  return { endpoint: stackUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}
