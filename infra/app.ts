import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildFotaApp } from './FotaApp.ts';

const { app } = buildFotaApp();
// `cdk synth` fails on any unacknowledged AwsSolutions finding (acknowledgements: infra/nagSuppressions.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
