/**
 * Parsing of the Registration interface's query parameters (LwM2M Core TS 1.1 §6.2.1, 1.0 §5.3.1).
 * Liberal in what it accepts (missing b, quoted values, UQ under 1.1), strict in what it returns.
 */
import { fail, ok, type Result } from '../result.ts';
import { RegistrationRequestError } from './registrationErrors.ts';

export const LWM2M_VERSIONS = ['1.0', '1.1', '1.2'] as const;
export type LwM2mVersion = (typeof LWM2M_VERSIONS)[number];

/** Default registration lifetime in seconds (LwM2M 1.1 object 1 resource 1). */
export const DEFAULT_LIFETIME_SECONDS = 86_400;
const MAX_ENDPOINT_LENGTH = 128;

export interface RegisterParams {
  readonly endpoint: string;
  readonly lifetimeSeconds: number;
  readonly lwm2mVersion: LwM2mVersion;
  /** Transport letters without the queue flag, e.g. "U". */
  readonly binding: string;
  readonly queueMode: boolean;
  readonly smsNumber?: string;
}

export interface UpdateParams {
  readonly lifetimeSeconds?: number;
  readonly binding?: string;
  readonly queueMode?: boolean;
  readonly smsNumber?: string;
}

export function parseQuery(query: string): Map<string, string | true> {
  const params = new Map<string, string | true>();
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? undefined : part.slice(eq + 1);
    const key = safeDecode(rawKey);
    const value = rawValue === undefined ? true : unquote(safeDecode(rawValue));
    params.set(key, value);
  }
  return params;
}

export function parseRegisterQuery(query: string): Result<RegisterParams, RegistrationRequestError> {
  const params = parseQuery(query);
  const endpoint = params.get('ep');
  if (typeof endpoint !== 'string' || endpoint.length === 0) {
    return fail(new RegistrationRequestError('missing endpoint name (ep)'));
  }
  if (endpoint.length > MAX_ENDPOINT_LENGTH || !/^[\x21-\x7e]+$/.test(endpoint)) {
    return fail(new RegistrationRequestError(`invalid endpoint name: must be 1..${MAX_ENDPOINT_LENGTH} printable characters`));
  }
  const version = params.get('lwm2m') ?? '1.0';
  if (typeof version !== 'string' || !isLwM2mVersion(version)) {
    return fail(new RegistrationRequestError(`unsupported LwM2M version: ${String(version)}`));
  }
  const lifetime = parseLifetime(params.get('lt'));
  if (!lifetime.success) return lifetime;
  const binding = parseBinding(params.get('b'), params.has('Q'), version);
  if (!binding.success) return binding;
  const sms = params.get('sms');
  return ok({
    endpoint,
    lifetimeSeconds: lifetime.data ?? DEFAULT_LIFETIME_SECONDS,
    lwm2mVersion: version,
    binding: binding.data.binding,
    queueMode: binding.data.queueMode,
    ...(typeof sms === 'string' ? { smsNumber: sms } : {}),
  });
}

export function parseUpdateQuery(query: string, version: LwM2mVersion): Result<UpdateParams, RegistrationRequestError> {
  const params = parseQuery(query);
  const lifetime = parseLifetime(params.get('lt'));
  if (!lifetime.success) return lifetime;
  let bindingPart: { binding?: string; queueMode?: boolean } = {};
  if (params.has('b')) {
    const binding = parseBinding(params.get('b'), params.has('Q'), version);
    if (!binding.success) return binding;
    bindingPart = binding.data;
  } else if (params.has('Q')) {
    bindingPart = { queueMode: true };
  }
  const sms = params.get('sms');
  return ok({
    ...(lifetime.data === undefined ? {} : { lifetimeSeconds: lifetime.data }),
    ...bindingPart,
    ...(typeof sms === 'string' ? { smsNumber: sms } : {}),
  });
}

function parseLifetime(value: string | true | undefined): Result<number | undefined, RegistrationRequestError> {
  if (value === undefined) return ok(undefined);
  if (value === true || !/^\d{1,10}$/.test(value)) {
    return fail(new RegistrationRequestError(`invalid lifetime (lt): ${String(value)}`));
  }
  const seconds = Number(value);
  if (seconds < 1 || seconds > 0xffffffff) {
    return fail(new RegistrationRequestError(`lifetime (lt) out of range: ${seconds}`));
  }
  return ok(seconds);
}

/**
 * 1.0 bindings are U, UQ, S, SQ, US, UQS; 1.1+ bindings are letters of U, T, S, N with queue mode
 * as the separate Q parameter. Clients mix the two, so a Q letter is honoured under any version.
 */
function parseBinding(
  value: string | true | undefined,
  queueFlag: boolean,
  version: LwM2mVersion,
): Result<{ binding: string; queueMode: boolean }, RegistrationRequestError> {
  if (value === undefined) return ok({ binding: 'U', queueMode: queueFlag });
  if (value === true || value.length === 0 || value.length > 8) {
    return fail(new RegistrationRequestError(`invalid binding (b): ${String(value)}`));
  }
  const letters = version === '1.0' ? /^[USQ]+$/ : /^[UTSNQ]+$/;
  if (!letters.test(value)) {
    return fail(new RegistrationRequestError(`invalid binding (b) for LwM2M ${version}: ${value}`));
  }
  const transports = [...new Set(value.replaceAll('Q', ''))].join('');
  if (transports.length === 0) {
    return fail(new RegistrationRequestError(`binding (b) names no transport: ${value}`));
  }
  return ok({ binding: transports, queueMode: queueFlag || value.includes('Q') });
}

function isLwM2mVersion(value: string): value is LwM2mVersion {
  return (LWM2M_VERSIONS as readonly string[]).includes(value);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
