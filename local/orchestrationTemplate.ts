/**
 * The orchestration stack's template, once per process: synthesizing the CDK app costs seconds of
 * CPU and a large WebAssembly heap (aws-cdk-lib's template validation), and its output depends only
 * on the code. A test run synthesizes once (test/globalSetup.ts) and hands the template to every
 * test file through `rememberOrchestrationTemplate`. Kept apart from synthesizedWorkflow.ts so that
 * priming it does not load aws-cdk-lib.
 */
export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

let remembered: CfnTemplate | undefined;

export function rememberOrchestrationTemplate(template: CfnTemplate): void {
  remembered = template;
}

export function rememberedOrchestrationTemplate(): CfnTemplate | undefined {
  return remembered;
}
