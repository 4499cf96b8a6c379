/** What a use case of the API answers (src/use-cases/api-*): a document with its status, or that the thing is not there. */
export type ApiAnswer = { kind: 'ok'; status: number; body: unknown; headers?: Record<string, string> } | { kind: 'not-found'; detail: string };
