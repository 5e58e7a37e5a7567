/**
 * Every workflow task bound to one set of dependencies, by the handler name the synthesized
 * workflow maps its Task states to: how the local runner invokes them. Each task's own file
 * exports its Lambda entry (`handler`) for the deployed function.
 */
import type { WorkflowHandler } from '../../core/campaign/workflowStates.ts';
import type { WorkflowDependencies } from '../shared/dependencies.ts';
import { observedTask, type BoundTask } from '../shared/observedTask.ts';
import { awaitPhase } from './awaitPhase.ts';
import { cancelCampaign } from './cancelCampaign.ts';
import { checkApproval } from './checkApproval.ts';
import { continueAsNew } from './continueAsNew.ts';
import { evaluatePhase } from './evaluatePhase.ts';
import { finalizeCampaign } from './finalizeCampaign.ts';
import { joinLateDevices } from './joinLateDevices.ts';
import { planCampaign } from './planCampaign.ts';
import { startPhase } from './startPhase.ts';

export type WorkflowTasks = Readonly<Record<WorkflowHandler, BoundTask<unknown>>>;

export function workflowTasks(deps: WorkflowDependencies): WorkflowTasks {
  return {
    planCampaign: observedTask('planCampaign', planCampaign, deps),
    startPhase: observedTask('startPhase', startPhase, deps),
    evaluatePhase: observedTask('evaluatePhase', evaluatePhase, deps),
    awaitPhase: observedTask('awaitPhase', awaitPhase, deps),
    checkApproval: observedTask('checkApproval', checkApproval, deps),
    cancelCampaign: observedTask('cancelCampaign', cancelCampaign, deps),
    continueAsNew: observedTask('continueAsNew', continueAsNew, deps),
    finalizeCampaign: observedTask('finalizeCampaign', finalizeCampaign, deps),
    joinLateDevices: observedTask('joinLateDevices', joinLateDevices, deps),
  };
}
