/**
 * The functions' log lines in the edge's shape (coap-edge/logger.ts): `time`, `level` in lower
 * case, `component`, `message`, then the fields, so one CloudWatch Logs Insights query (`filter
 * campaignId = "..."`) follows a campaign through the API, the workflow and the edge.
 */
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

export class FotaLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        time: attributes.timestamp.toISOString(),
        level: attributes.logLevel.toLowerCase(),
        component: attributes.serviceName,
        message: attributes.message,
        ...(attributes.xRayTraceId === undefined ? {} : { xrayTraceId: attributes.xRayTraceId }),
        ...(attributes.lambdaContext === undefined ? {} : { lambdaRequestId: attributes.lambdaContext.awsRequestId, coldStart: attributes.lambdaContext.coldStart }),
      },
    }).addAttributes(additionalLogAttributes);
  }
}
