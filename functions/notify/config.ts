/** The notifier's deployed configuration: environment variables, each named when missing. */
export interface NotifyConfig {
  notificationsTable: string;
  authorisationsTable: string;
  /** The flow journal's table: the real-time and batch modes' payments, by id (NOTIFY-2, MODE-2, MODE-4). */
  rulesStateTable: string;
  emailFrom: string;
  signingKeyPrefix: string;
  sesConfigurationSet?: string;
  defaultLanguage: string;
}

export function readNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`notify: environment variable ${name} is not set`);
    return value;
  };
  return {
    notificationsTable: required('NOTIFICATIONS_TABLE'),
    authorisationsTable: required('AUTHORISATIONS_TABLE'),
    rulesStateTable: required('RULES_STATE_TABLE'),
    emailFrom: required('NOTIFY_EMAIL_FROM'),
    signingKeyPrefix: required('NOTIFY_SIGNING_KEY_PREFIX'),
    ...(env.NOTIFY_SES_CONFIGURATION_SET ? { sesConfigurationSet: env.NOTIFY_SES_CONFIGURATION_SET } : {}),
    defaultLanguage: env.NOTIFY_DEFAULT_LANGUAGE ?? 'en',
  };
}
