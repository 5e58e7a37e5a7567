/**
 * The release-manager dashboard of a deployed stack: dashboard/'s static files in a private S3
 * bucket behind CloudFront (Origin Access Control, HTTPS only, strict security headers), and the
 * sign-in that lets a browser call the IAM-authorized API: a Cognito user pool (admins create the
 * users, TOTP MFA required) with a hosted-UI domain and a public app client (authorization code +
 * PKCE), and an identity pool whose one role may only GET the API.
 *
 * Built in two steps because the API's CORS rule names this distribution's origin while the
 * dashboard's config and role name the API: create the dashboard, then the API with
 * `corsAllowOrigins: [dashboard.url]`, then call `connectApi(api)` (infra/stacks/OrchestrationStack.ts).
 */
import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/** The dashboard's files sit under this key prefix, as the page references them (`/dashboard/app.js`). */
export const DASHBOARD_KEY_PREFIX = 'dashboard/';

/**
 * The content security policy of the deployed page: the local stack's policy
 * (local/dashboardFiles.ts, compared in test/infra/dashboardHosting.test.ts) with the origins the
 * page must reach added to `connect-src`.
 */
export function dashboardContentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    `connect-src 'self' ${connectSources.join(' ')}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The origins the deployed page connects to besides its own: the region's API Gateway endpoints
 * (see the CSP note in the constructor), the hosted UI (token endpoint) and Cognito Identity.
 */
export function dashboardConnectSources(region: string, authDomain: string): string[] {
  return [`https://*.execute-api.${region}.amazonaws.com`, `https://${authDomain}`, `https://cognito-identity.${region}.amazonaws.com`];
}

export interface DashboardHostingProps {
  /** Folder of the static files. @default the repository's dashboard/ */
  readonly sourceDirectory?: string;
  /**
   * Prefix of the hosted-UI domain (`<prefix>.auth.<region>.amazoncognito.com`), unique in the
   * region. @default the stack name in lower case plus the first 8 hex digits of the stack's id
   */
  readonly authDomainPrefix?: string;
  /** What becomes of the buckets and the user pool when the stack is deleted. @default RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default 365 days */
  readonly accessLogRetention?: Duration;
  /** Retention of the file deployment's Lambda logs. @default 3 months */
  readonly logRetention?: logs.RetentionDays;
  /** Customer-managed key of the file deployment's log group. @default CloudWatch Logs' own encryption */
  readonly logKey?: kms.IKey;
  /**
   * Serve the dashboard on this host name with this ACM certificate (us-east-1), at TLS 1.2 or
   * later; point a CNAME (or an alias record) at the distribution. @default `*.cloudfront.net`,
   * whose certificate CloudFront fixes (TLS 1.0 minimum)
   */
  readonly domain?: { readonly domainName: string; readonly certificateArn: string };
}

/** The config.json a deployed dashboard reads at start (dashboard/session.js). */
export interface DashboardConfig {
  readonly auth: 'cognito';
  readonly apiUrl: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly identityPoolId: string;
  /** Host name of the hosted UI, without scheme. */
  readonly authDomain: string;
}

export class DashboardHosting extends Construct {
  readonly bucket: s3.Bucket;
  /** CloudFront standard logs and the bucket's server access logs. */
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeaders: cloudfront.ResponseHeadersPolicy;
  /** `https://<distribution>.cloudfront.net` or `https://<domain>`, the origin the API's CORS rule allows. */
  readonly url: string;
  readonly userPool: cognito.UserPool;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly userPoolClient: cognito.UserPoolClient;
  readonly identityPool: cognito.CfnIdentityPool;
  /** Which role a signed-in person gets: the read-only role, or their group's (infra/constructs/AccessRoles.ts adds the mapping). */
  readonly identityPoolRoles: cognito.CfnIdentityPoolRoleAttachment;
  /** The role of signed-in release managers: `execute-api:Invoke` on GET routes of the API, nothing else. */
  readonly readerRole: iam.Role;
  /** The hosted UI's host name. */
  readonly authDomain: string;
  /** The role of the CDK function that copies the files into the bucket. */
  readonly deploymentRole: iam.Role;
  private filesDeployment: s3deploy.BucketDeployment | undefined;

  private readonly sourceDirectory: string;
  private readonly deploymentLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DashboardHostingProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.sourceDirectory = props.sourceDirectory ?? fileURLToPath(new URL('../../dashboard/', import.meta.url));

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      // S3 server access logging delivers only to SSE-S3 buckets; CloudFront standard logging
      // writes with an ACL grant, so ACLs stay enabled (BUCKET_OWNER_PREFERRED), still never public.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      removalPolicy,
      // Versioned: a log overwritten or deleted by mistake can be recovered.
      versioned: true,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // The content is rebuilt from the repository on every deploy; versions keep the previous
      // deploy's files for a week, to roll back by hand.
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy,
      autoDeleteObjects: false,
      // `as`: under exactOptionalPropertyTypes a jsii class is not assignable to its interface.
      serverAccessLogsBucket: this.logBucket as s3.IBucket,
      serverAccessLogsPrefix: 'bucket/',
    });

    // A token built from pseudo parameters only: the CSP below must not reference the domain
    // resource (the user pool names the distribution in its invitation and callback URLs).
    const domainPrefix = props.authDomainPrefix ?? Fn.join('-', [sanitizedStackName(stack.stackName), Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))]);
    this.authDomain = Fn.join('', [domainPrefix, '.auth.', Aws.REGION, '.amazoncognito.com']);

    this.responseHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'FOTA dashboard: CSP, HSTS, nosniff, no framing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The API is named by its regional execute-api wildcard, not its exact origin: the API's
          // CORS rule names this distribution, and the distribution this policy, so naming the API
          // here would be a CloudFormation dependency cycle. The credentials the page holds can
          // only invoke GET on this API (readerRole), whatever host a request goes to.
          contentSecurityPolicy: dashboardContentSecurityPolicy(dashboardConnectSources(Aws.REGION, this.authDomain)),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        // The sign-in callback carries the authorization code in its query: never send it on.
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${stack.stackName} release-manager dashboard`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket as s3.IBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: new cloudfront.CachePolicy(this, 'Caching', {
          comment: 'FOTA dashboard: a deploy shows within a minute, no invalidation needed',
          minTtl: Duration.seconds(0),
          defaultTtl: Duration.minutes(1),
          maxTtl: Duration.minutes(1),
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        }),
        responseHeadersPolicy: this.responseHeaders,
        compress: true,
      },
      // CloudFront accepts a path here (AWS docs, "Specify a default root object").
      defaultRootObject: `${DASHBOARD_KEY_PREFIX}index.html`,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      ...(props.domain === undefined
        ? {}
        : {
            domainNames: [props.domain.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            // It hands out AWS credentials: TLS 1.2 or later only.
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }),
      enableLogging: true,
      logBucket: this.logBucket as s3.IBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.url = `https://${props.domain?.domainName ?? this.distribution.distributionDomainName}`;
    const signInRedirect = `${this.url}/`;

    this.userPool = new cognito.UserPool(this, 'ReleaseManagers', {
      userPoolName: `${stack.stackName}-ReleaseManagers`,
      // Administrators create release managers (README: aws cognito-idp admin-create-user).
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      autoVerify: { email: true },
      passwordPolicy: { minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3), passwordHistorySize: 5 },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Threat protection (compromised credentials, risky sign-ins) needs the Plus plan: priced
      // per monthly active user, a few cents a month for a handful of release managers.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your FOTA dashboard account',
        emailBody: `Your FOTA dashboard user name is {username} and your temporary password is {####}. Sign in at ${signInRedirect} (you will set a new password and an authenticator app).`,
      },
      removalPolicy,
    });
    this.userPoolDomain = this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix } });
    this.userPoolClient = this.userPool.addClient('DashboardClient', {
      userPoolClientName: 'fota-dashboard',
      // A browser cannot keep a secret: a public client, protected by PKCE (RFC 7636).
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [signInRedirect],
        logoutUrls: [signInRedirect],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });

    this.identityPool = new cognito.CfnIdentityPool(this, 'IdentityPool', {
      identityPoolName: `${stack.stackName.replace(/\W/g, '_')}_Dashboard`,
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [{ clientId: this.userPoolClient.userPoolClientId, providerName: this.userPool.userPoolProviderName, serverSideTokenCheck: true }],
    });
    this.readerRole = new iam.Role(this, 'ReaderRole', {
      description: 'Release managers signed in to the FOTA dashboard: read-only (GET) access to the REST API',
      assumedBy: new iam.FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
      maxSessionDuration: Duration.hours(1),
    });
    this.identityPoolRoles = new cognito.CfnIdentityPoolRoleAttachment(this, 'IdentityPoolRoles', { identityPoolId: this.identityPool.ref, roles: { authenticated: this.readerRole.roleArn } });

    // Its own role and log group rather than the AWS managed AWSLambdaBasicExecutionRole and a log
    // group kept forever; CDK adds the S3 grants the copy needs (infra/nagSuppressions.ts).
    this.deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', { retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS, ...(props.logKey === undefined ? {} : { encryptionKey: props.logKey }) });
    this.deploymentRole = new iam.Role(this, 'DeploymentRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'Copies the FOTA dashboard files into their bucket at deploy time' });
    this.deploymentLogs.grantWrite(this.deploymentRole);

    this.node.addValidation({ validate: () => (this.filesDeployment === undefined ? ['DashboardHosting: call connectApi(api) to deploy the files and let signed-in users read the API'] : []) });
  }

  /** The deploy-time copy of the files and config.json, once `connectApi` was called. */
  get deployment(): s3deploy.BucketDeployment | undefined {
    return this.filesDeployment;
  }

  /**
   * Lets signed-in release managers GET every route of `api` (and nothing else), and deploys the
   * files with a config.json that points the page at it.
   */
  connectApi(api: apigw.IHttpApi): void {
    if (this.filesDeployment !== undefined) throw new Error('DashboardHosting.connectApi may be called once');
    this.readerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [api.arnForExecuteApi('GET', '/*', '*')] }));
    const config: DashboardConfig = {
      auth: 'cognito',
      apiUrl: api.apiEndpoint,
      region: Aws.REGION,
      userPoolId: this.userPool.userPoolId,
      userPoolClientId: this.userPoolClient.userPoolClientId,
      identityPoolId: this.identityPool.ref,
      authDomain: this.authDomain,
    };
    this.filesDeployment = new s3deploy.BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket as s3.IBucket,
      destinationKeyPrefix: DASHBOARD_KEY_PREFIX,
      sources: [s3deploy.Source.asset(this.sourceDirectory), s3deploy.Source.jsonData('config.json', config)],
      // Files and config change together on a deploy: browsers revalidate every load, and
      // CloudFront keeps an object a minute at most (the cache policy), so no invalidation (and no
      // cloudfront:CreateInvalidation on "*") is needed.
      cacheControl: [s3deploy.CacheControl.noCache()],
      role: this.deploymentRole,
      logGroup: this.deploymentLogs,
    });
  }
}

/** A stack name as a hosted-UI prefix: lower case letters, digits and hyphens, without the words Cognito reserves. */
function sanitizedStackName(stackName: string): string {
  return stackName
    .toLowerCase()
    .replace(/aws|amazon|cognito/g, 'x')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
}
