/**
 * State names of the campaign workflow: shared by the CDK definition (infra/), the local runner
 * (local/) and tests, so a rename cannot silently break one of them.
 */
export const WorkflowState = {
  PlanCampaign: 'PlanCampaign',
  NextCohortOrFinish: 'NextCohortOrFinish',
  StartDownloadPhase: 'StartDownloadPhase',
  WaitForDownloads: 'WaitForDownloads',
  EvaluateDownloads: 'EvaluateDownloads',
  DownloadsSettled: 'DownloadsSettled',
  StartInstallPhase: 'StartInstallPhase',
  WaitForInstalls: 'WaitForInstalls',
  EvaluateInstalls: 'EvaluateInstalls',
  InstallsSettled: 'InstallsSettled',
  VerifyCohort: 'VerifyCohort',
  CohortGate: 'CohortGate',
  AdvanceCohort: 'AdvanceCohort',
  FinalizeCampaign: 'FinalizeCampaign',
  AbortCampaign: 'AbortCampaign',
  MarkCampaignFailed: 'MarkCampaignFailed',
  CampaignDone: 'CampaignDone',
  CampaignFailed: 'CampaignFailed',
} as const;

/** Lambda handlers of the workflow, by name; infra maps each to its entry file. */
export const WorkflowHandler = {
  PlanCampaign: 'planCampaign',
  StartPhase: 'startPhase',
  EvaluatePhase: 'evaluatePhase',
  VerifyCohort: 'verifyCohort',
  FinalizeCampaign: 'finalizeCampaign',
} as const;
export type WorkflowHandler = (typeof WorkflowHandler)[keyof typeof WorkflowHandler];
