import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EdgeService, type EdgeServiceProps } from '../constructs/EdgeService.ts';
import { ImageScanning } from '../constructs/ImageScanning.ts';

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
  /** ECR scan on push of the edge image (the registry's scanning configuration). */
  readonly imageScanning: ImageScanning;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.edge = new EdgeService(this, 'Edge', props.edge);
    this.imageScanning = new ImageScanning(this, 'ImageScanning');
    new CfnOutput(this, 'DeviceHost', { description: 'Host name devices use for the LwM2M server and Package URIs', value: this.edge.publicHost });
    new CfnOutput(this, 'LoadBalancerDnsName', { description: 'DNS name of the UDP Network Load Balancer', value: this.edge.loadBalancer.loadBalancerDnsName });
  }
}
