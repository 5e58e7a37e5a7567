/**
 * State names of the campaign workflow: shared by the CDK definition (infra/), the local runner
 * (local/) and tests, so a rename cannot silently break one of them.
 */
export const WorkflowState = {
  ScheduledStart: 'ScheduledStart',
  WaitForStartTime: 'WaitForStartTime',
  PlanCampaign: 'PlanCampaign',
  ResumeOrStart: 'ResumeOrStart',
  StartDownloadPhase: 'StartDownloadPhase',
  WaitForDownloads: 'WaitForDownloads',
  EvaluateDownloads: 'EvaluateDownloads',
  DownloadsSettled: 'DownloadsSettled',
  StartInstallPhase: 'StartInstallPhase',
  WaitForInstalls: 'WaitForInstalls',
  EvaluateInstalls: 'EvaluateInstalls',
  InstallsSettled: 'InstallsSettled',
  WaitForApproval: 'WaitForApproval',
  CheckApproval: 'CheckApproval',
  ApprovalGiven: 'ApprovalGiven',
  AdvanceCohort: 'AdvanceCohort',
  RequestCancellation: 'RequestCancellation',
  WaitForCancellation: 'WaitForCancellation',
  EvaluateCancellation: 'EvaluateCancellation',
  CancellationSettled: 'CancellationSettled',
  FinalizeCancelled: 'FinalizeCancelled',
  CampaignCancelled: 'CampaignCancelled',
  JoinLateDevices: 'JoinLateDevices',
  LateDevicesJoined: 'LateDevicesJoined',
  WaitToJoinLateDevices: 'WaitToJoinLateDevices',
  RejoinLastCohort: 'RejoinLastCohort',
  ContinueAsNew: 'ContinueAsNew',
  ContinuedAsNew: 'ContinuedAsNew',
  FinalizeCampaign: 'FinalizeCampaign',
  AbortCampaign: 'AbortCampaign',
  CampaignAborted: 'CampaignAborted',
  MarkCampaignFailed: 'MarkCampaignFailed',
  CampaignDone: 'CampaignDone',
  CampaignFailed: 'CampaignFailed',
} as const;

/** Lambda handlers of the workflow, by name; infra maps each to its entry file. */
export const WorkflowHandler = {
  PlanCampaign: 'planCampaign',
  StartPhase: 'startPhase',
  EvaluatePhase: 'evaluatePhase',
  AwaitPhase: 'awaitPhase',
  CheckApproval: 'checkApproval',
  CancelCampaign: 'cancelCampaign',
  ContinueAsNew: 'continueAsNew',
  FinalizeCampaign: 'finalizeCampaign',
  JoinLateDevices: 'joinLateDevices',
} as const;
export type WorkflowHandler = (typeof WorkflowHandler)[keyof typeof WorkflowHandler];

/**
 * A poll iteration costs about 9 history events (Wait 2, Task 5, Choice 2). An execution hands
 * over to a fresh one after this many polls, far below Step Functions' 25,000-event limit.
 */
export const MAX_POLLS_PER_EXECUTION = 2_000;
