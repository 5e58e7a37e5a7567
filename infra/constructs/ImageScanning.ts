/**
 * Scan on push for the edge image. `cdk deploy` pushes the image (ContainerImage.fromAsset) to the
 * CDK bootstrap's asset repository, `cdk-<qualifier>-container-assets-<account>-<region>`, which
 * this app does not own; so scanning is switched on at the registry, for the repositories of that
 * name (ECR basic scanning: the OS packages of every pushed image; findings in the ECR console and
 * as EventBridge events). A registry has one scanning configuration per account and region; every
 * stage writes the same one, so stages sharing an account agree.
 */
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

/** The ECR repositories scanned on push: CDK's container asset repositories, whatever the qualifier. */
export const SCANNED_REPOSITORY_FILTER = 'cdk-*-container-assets-*';

export class ImageScanning extends Construct {
  readonly configuration: ecr.CfnRegistryScanningConfiguration;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.configuration = new ecr.CfnRegistryScanningConfiguration(this, 'Registry', {
      scanType: 'BASIC',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: SCANNED_REPOSITORY_FILTER, filterType: 'WILDCARD' }] }],
    });
  }
}
