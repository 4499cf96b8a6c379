// aws-local-stepfunctions needs Promise.withResolvers, which Node 20 lacks (one definition, shared with the rehearsal).
import '../../rehearsal/polyfills';

// Tests run on Node 20 (Lambda runs nodejs22.x): silence the AWS SDK's one-line Node 22 notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
