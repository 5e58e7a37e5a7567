// The project runs on Node 20 (see README); the AWS SDK's notice that future SDK releases need
// Node 22 is printed once per process and says nothing actionable for a local run. Imported
// first by the local entry points; an explicit setting in the environment wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
export {};
