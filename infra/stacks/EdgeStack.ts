import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EdgeService, type EdgeServiceProps } from '../constructs/EdgeService.ts';

export interface EdgeStackProps extends StackProps {
  readonly edge: EdgeServiceProps;
}

/**
 * The CoAP edge: VPC, Fargate service and the UDP Network Load Balancer devices talk to. It reads
 * the storage stack's tables and keys and the orchestration stack's bus; nothing reads from it but
 * the observability stack, which names only what every stage has (the CoAPS target group), so
 * `allowNoSec` can be switched either way with one `cdk deploy --all`.
 */
export class EdgeStack extends Stack {
  readonly edge: EdgeService;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.edge = new EdgeService(this, 'Edge', props.edge);
    new CfnOutput(this, 'DeviceHost', { description: 'Host name devices use for the LwM2M server and Package URIs', value: this.edge.publicHost });
    new CfnOutput(this, 'LoadBalancerDnsName', { description: 'DNS name of the UDP Network Load Balancer', value: this.edge.loadBalancer.loadBalancerDnsName });
  }
}
