import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Observability, type ObservabilityProps } from '../constructs/Observability.ts';

export interface ObservabilityStackProps extends StackProps {
  readonly observability: ObservabilityProps;
}

/** Dashboard, alarms and the alarm topic: last in the app, it only reads what the others expose. */
export class ObservabilityStack extends Stack {
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    this.observability = new Observability(this, 'Observability', props.observability);
  }
}
