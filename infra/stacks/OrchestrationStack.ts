import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FotaStorage } from '../constructs/FotaStorage.ts';
import { CampaignWorkflow } from '../constructs/CampaignWorkflow.ts';
import { WorkflowFunctions } from '../constructs/WorkflowFunctions.ts';

export interface OrchestrationStackProps extends StackProps {
  readonly storage: FotaStorage;
}

/** The campaign workflow and the Lambda functions behind its tasks. */
export class OrchestrationStack extends Stack {
  readonly workflow: CampaignWorkflow;
  readonly functions: WorkflowFunctions;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    this.functions = new WorkflowFunctions(this, 'WorkflowFunctions', { storage: props.storage });
    this.workflow = new CampaignWorkflow(this, 'CampaignWorkflow', { handlers: this.functions.handlers });
  }
}
