/**
 * What a use case of the API answers (src/use-cases/api-*): a document with its status, that the
 * thing is not there (or not this client's: the same answer, API-3), or that the payment was
 * submitted by another client (a submission only).
 */
export type ApiAnswer =
  { kind: 'ok'; status: number; body: unknown; headers?: Record<string, string> } | { kind: 'not-found'; detail: string } | { kind: 'submitted-by-another-client'; detail: string };
