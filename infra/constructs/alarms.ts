/**
 * Every bridge alarm is built here, the same way: named `<stack>-<Id>`, and described with what
 * it means, the first command that answers it and its runbook entry, so the notification an
 * on-call engineer receives says what to run. `parseAlarmDescription` reads the description back:
 * the runbook's alarm table is rendered from the synthesized stack with it (a test), so the two
 * cannot drift.
 */
import { Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

export const RUNBOOK_PATH = 'docs/runbook.md';

export interface BridgeAlarmSpec {
  /** PascalCase; the alarm's name suffix and, lower-cased, its runbook anchor. */
  readonly id: string;
  /** One sentence: what happened, for whom it matters. */
  readonly meaning: string;
  /** The first shell command to run (one line). */
  readonly firstCommand: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator?: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  /** Default: missing data is OK (an idle queue or function publishes nothing). */
  readonly treatMissingData?: TreatMissingData;
}

const FIRST = ' First: ';
const RUNBOOK = ' Runbook: ';
/** CloudWatch's limit for an alarm description. */
const MAX_DESCRIPTION = 1024;

export function runbookAnchor(id: string): string {
  return id.toLowerCase();
}

export function bridgeAlarm(scope: Construct, spec: BridgeAlarmSpec): Alarm {
  const description = `${spec.meaning}${FIRST}${spec.firstCommand}${RUNBOOK}${RUNBOOK_PATH}#${runbookAnchor(spec.id)}`;
  if (description.length > MAX_DESCRIPTION) throw new Error(`Alarm ${spec.id}: description longer than ${MAX_DESCRIPTION} characters`);
  return new Alarm(scope, spec.id, {
    alarmName: `${Stack.of(scope).stackName}-${spec.id}`,
    alarmDescription: description,
    metric: spec.metric,
    threshold: spec.threshold,
    comparisonOperator: spec.comparisonOperator ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    ...(spec.datapointsToAlarm === undefined ? {} : { datapointsToAlarm: spec.datapointsToAlarm }),
    treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
  });
}

export interface DescribedAlarm {
  readonly id: string;
  readonly meaning: string;
  readonly firstCommand: string;
  readonly runbook: string;
}

/** An alarm's id, meaning, first command and runbook link, from its name and description. */
export function parseAlarmDescription(stackName: string, alarmName: string, description: string): DescribedAlarm {
  const prefix = `${stackName}-`;
  const first = description.indexOf(FIRST);
  const runbook = description.lastIndexOf(RUNBOOK);
  if (!alarmName.startsWith(prefix) || first < 0 || runbook < first) throw new Error(`Alarm ${alarmName} was not built by bridgeAlarm`);
  return {
    id: alarmName.slice(prefix.length),
    meaning: description.slice(0, first),
    firstCommand: description.slice(first + FIRST.length, runbook),
    runbook: description.slice(runbook + RUNBOOK.length),
  };
}
