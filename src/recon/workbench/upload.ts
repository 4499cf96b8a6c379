/**
 * Statement upload from the workbench (WB-UPLOAD-1, REC-RUN-1): a file sent from the page goes the same way as
 * any statement upload, into the inbox folder `ledgerline inbox` watches (embedded mode): written
 * beside it under a name the inbox ignores, flushed, then renamed into place, so the inbox sees
 * it whole or not at all. The page says "queued" until the inbox has taken it, then the run it
 * committed, or the quarantine reason the inbox wrote for a bad file.
 *
 * Routes (registerUploadRoutes, on the workbench's Hono app, behind its sign-in):
 *   GET  /uploads       the form: a plain file input and a submit button, and (progressive
 *                       enhancement, /static/upload.js) a drag-and-drop zone that fills the same
 *                       input and submits the same form;
 *   POST /uploads       multipart/form-data: `file` and `csrf`; 303 to the upload's page;
 *   GET  /uploads/:id   what became of it (queued, committed, already reconciled, quarantined, or
 *                       failed for another reason than the file, with the reason the inbox kept).
 * Refusals: no or a wrong CSRF token 403; a viewer 403 (a reconciler or approver uploads); more than
 * the size limit 413; a file name that is a path (separators, "..", control characters), hidden,
 * or one the inbox ignores 400; a card number in the file name 422 (PCI-3); nothing is written then.
 *
 * On AWS (the direct variant, DirectStatementInbox: src/adapters/aws/s3-statement-inbox.ts) the
 * file never passes through the workbench (its ALB passes a Lambda at most 1 MB): the same form,
 * with /static/upload-direct.js, POSTs {csrf, name, size, contentType} to /uploads/presign, which
 * makes the same checks (decideDirectUpload) and answers a short-lived presigned PUT of exactly
 * that size to `incoming/statements/<upload id>--<name>`; the browser PUTs the file there and opens
 * /uploads/:id, which reads the run registry and the quarantine prefix. Without JavaScript the
 * page says that the upload needs it there, and the form's own POST is refused unread (400).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type Actor, refuseCardNumbers, WorkbenchError } from './cases';
import { html, mayUpload, page, renderMessagePage, type SafeHtml, UPLOAD_PATH } from './html';

export { UPLOAD_PATH };
/** The paths behind the sign-in (app.ts puts its signedIn middleware on them). */
export const UPLOAD_PATHS = [UPLOAD_PATH, `${UPLOAD_PATH}/:id`] as const;
/** POST: the presigned PUT of a direct upload (JSON in and out; covered by the sign-in of `${UPLOAD_PATH}/:id`). */
export const PRESIGN_PATH = `${UPLOAD_PATH}/presign`;
export const UPLOAD_SCRIPT_PATH = '/static/upload.js';
export const UPLOAD_STYLESHEET_PATH = '/static/upload.css';
/** The direct upload's script (on AWS only): presign, then PUT to storage. */
export const UPLOAD_DIRECT_SCRIPT_PATH = '/static/upload-direct.js';
/** The default size limit of one statement file. */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Seconds between two looks of a queued upload's page (the Refresh header). */
export const QUEUED_REFRESH_SECONDS = 3;

/** What became of an upload. */
export type UploadStatus =
  /** On AWS: since when the object is in the bucket, and the execution the trigger starts for it (operators find the run by it). */
  | { state: 'queued'; name: string; since?: string; runId?: string }
  /** statementLines: where the registry keeps the count (locally; the AWS claim does not). */
  | { state: 'committed'; name: string; runId: string; statementLines?: number }
  | { state: 'already-reconciled'; name: string; runId?: string }
  | { state: 'quarantined'; name: string; reason: string }
  /** The inbox could not take it for another reason than the file (the ledger unreadable, say): still in the inbox, tried again. */
  | { state: 'failed'; name: string; reason: string; at?: string };

/** Where uploaded statement files go: the inbox (embedded: a folder; any other upload path implements the same). */
export interface StatementInbox {
  /** Puts the file where the inbox takes it, whole or not at all; returns the upload's id. */
  submit(file: { name: string; bytes: Uint8Array }): Promise<string>;
  /** What became of the upload; undefined for an id it never gave. */
  status(uploadId: string): Promise<UploadStatus | undefined>;
}

/**
 * The direct variant (on AWS): the ALB passes a Lambda at most 1 MB of body, so the file never
 * goes through the function. The page asks for a short-lived presigned PUT of one object under the
 * ingest bucket's statement prefix (the same S3 path and trigger as any statement upload), the
 * browser PUTs the file there itself, and the upload's page reads the registry and the quarantine
 * prefix. The checks of the local form (role, CSRF, name rules, card number in the name, size)
 * are made before anything is presigned (decideDirectUpload).
 */
export interface DirectStatementInbox {
  /** A presigned PUT of exactly this file (its size is signed: S3 refuses another length). */
  presign(file: DirectUploadFile): Promise<PresignedUpload>;
  status(uploadId: string): Promise<UploadStatus | undefined>;
  /** The origin the browser PUTs to (the page's CSP connect-src names it, and nothing wider). */
  readonly connectOrigin: string;
}

/** A file the browser is about to PUT, as the checks passed it: the kept name, the exact size, the content type signed. */
export interface DirectUploadFile {
  name: string;
  size: number;
  contentType: string;
}

export interface PresignedUpload {
  uploadId: string;
  method: 'PUT';
  url: string;
  /** Headers the browser must send as signed (Content-Length is signed too and set by the browser from the body). */
  headers: Record<string, string>;
  expiresAt: string;
}

export const isDirectInbox = (inbox: StatementInbox | DirectStatementInbox): inbox is DirectStatementInbox => typeof (inbox as Partial<DirectStatementInbox>).presign === 'function';

export const UPLOAD_ID = /^\d{8}T\d{6}Z-[0-9a-f]{12}$/;

/** A new upload id: the UTC second it was made and 12 hex digits of randomness the caller draws. */
export function newUploadId(now: Date, randomHex: string): string {
  if (!/^[0-9a-f]{12}$/.test(randomHex)) throw new Error('an upload id needs 12 lower-case hex digits of randomness');
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomHex}`;
}

/** The object an upload lands as: `<statements prefix><upload id>--<kept name>` (the reconcile trigger's prefix). */
export function statementObjectKey(statementsPrefix: string, uploadId: string, keptName: string): string {
  return `${statementsPrefix}${uploadId}${SEPARATOR}${keptName}`;
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;
/** The content type when the browser names none (files such as .sta or .bai often have none). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** A refusal of a direct upload, as the page shows it. */
export interface UploadRefusal {
  ok: false;
  status: 400 | 403 | 413 | 422;
  code: 'FORBIDDEN' | 'INVALID' | 'TOO_LARGE' | 'CARD_NUMBER';
  message: string;
}

export type DirectUploadDecision = { ok: true; file: DirectUploadFile } | UploadRefusal;

/**
 * Whether a direct upload may be presigned (pure): a viewer 403, no or a wrong CSRF token 403, a
 * request that does not describe one file 400, more than the limit 413, an empty file 400, a name
 * that is a path, hidden, skipped by the inbox or too long 400, a card number in the name (or the
 * content type) 422 (PCI-3). The same checks, in the same order, as the form's POST.
 */
export function decideDirectUpload(request: { mayUpload: boolean; csrfValid: boolean; file: unknown }, maxBytes: number): DirectUploadDecision {
  const refuse = (status: UploadRefusal['status'], code: UploadRefusal['code'], message: string): UploadRefusal => ({ ok: false, status, code, message });
  const limit = `${Math.floor(maxBytes / (1024 * 1024))} MiB`;
  if (!request.mayUpload) return refuse(403, 'FORBIDDEN', 'uploading a statement needs the reconciler or approver role; you may view only');
  if (!request.csrfValid) return refuse(403, 'FORBIDDEN', 'this form has expired or did not come from the workbench (CSRF check failed); nothing was uploaded');
  const file = request.file as { name?: unknown; size?: unknown; contentType?: unknown } | null;
  if (file === null || typeof file !== 'object' || Array.isArray(file)) return refuse(400, 'INVALID', 'the request names no file ({"name", "size"}); nothing was uploaded');
  if (typeof file.name !== 'string') return refuse(400, 'INVALID', 'the file has no name; choose a statement file');
  if (typeof file.size !== 'number' || !Number.isSafeInteger(file.size) || file.size < 0) return refuse(400, 'INVALID', 'the file size is not a whole number of bytes');
  if (file.size > maxBytes) return refuse(413, 'TOO_LARGE', `the file is larger than the upload limit of ${limit}; nothing was uploaded`);
  if (file.size === 0) return refuse(400, 'INVALID', 'the file is empty; nothing was uploaded');
  let name: string;
  try {
    name = uploadFileName(file.name);
  } catch (error) {
    if (!(error instanceof WorkbenchError)) throw error;
    return error.code === 'CARD_NUMBER' ? refuse(422, 'CARD_NUMBER', error.message) : refuse(400, 'INVALID', error.message);
  }
  let contentType = DEFAULT_CONTENT_TYPE;
  if (file.contentType !== undefined && file.contentType !== '') {
    if (typeof file.contentType !== 'string' || !CONTENT_TYPE.test(file.contentType.toLowerCase())) return refuse(400, 'INVALID', 'the content type is not a plain type/subtype');
    try {
      refuseCardNumbers({ 'content type': file.contentType }, [], 'identifier');
    } catch (error) {
      if (error instanceof WorkbenchError) return refuse(422, 'CARD_NUMBER', error.message);
      throw error;
    }
    contentType = file.contentType.toLowerCase();
  }
  return { ok: true, file: { name, size: file.size, contentType } };
}
/** Between the upload id and the file's own name in the inbox. */
export const SEPARATOR = '--';
const MAX_NAME_LENGTH = 160;
/** The names `ledgerline inbox` passes over (inbox.ts: hidden, partial, temporary, backup). */
const IGNORED_BY_INBOX = /^\.|\.(tmp|part|partial|crdownload|swp)$|~$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The file name a person's upload is kept under, or a refusal naming the fault: a name that is a
 * path (a separator, a ".." segment, a drive letter), carries a control character, is hidden, is
 * one the inbox passes over, or is too long. Other characters than letters, digits, ".", "-", "_",
 * "(", ")" and "+" become "_" (spaces and accents included): the name is only a label.
 */
export function uploadFileName(given: string): string {
  const shown = JSON.stringify(given.length > 80 ? `${given.slice(0, 80)}…` : given);
  if (given.trim() === '') throw new WorkbenchError('INVALID', 'the upload has no file name; choose a statement file');
  if (CONTROL.test(given)) throw new WorkbenchError('INVALID', `file name ${shown} contains a control character`);
  if (/[/\\]/.test(given) || /^[A-Za-z]:/.test(given)) throw new WorkbenchError('INVALID', `file name ${shown} is a path; send the file's own name only`);
  if (given === '.' || given === '..' || given.includes('..')) throw new WorkbenchError('INVALID', `file name ${shown} contains ".."; send the file's own name only`);
  if (IGNORED_BY_INBOX.test(given)) throw new WorkbenchError('INVALID', `file name ${shown} is one the inbox passes over (hidden, partial or temporary); rename the file`);
  if ([...given].length > MAX_NAME_LENGTH) throw new WorkbenchError('INVALID', `file name ${shown} is longer than ${MAX_NAME_LENGTH} characters`);
  // PCI-3: a card number in a file name is refused, never stored or echoed.
  refuseCardNumbers({ 'file name': given }, [], 'identifier');
  return given.normalize('NFC').replace(/[^A-Za-z0-9._()+-]/g, '_');
}

export interface UploadEnv {
  Variables: { actor: Actor; csrfSubject: string };
}

export interface UploadRoutesDeps {
  /** The local inbox (the file comes through the form), or the direct variant (the browser PUTs it to storage itself). */
  inbox: StatementInbox | DirectStatementInbox;
  /** The sign-in of the workbench's pages (sets `actor` and `csrfSubject`, refuses with 401). */
  signedIn: MiddlewareHandler<UploadEnv>;
  /** The CSRF token of the forms of a signed-in subject (app.ts's csrfToken with its secret). */
  csrfToken(subject: string): string;
  /** Constant-time comparison of a presented token with the expected one. */
  sameSecret(given: string, expected: string): boolean;
  maxBytes?: number;
}

const STATIC_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** The drop zone's script: fills the form's own file input and submits the form (nothing else is sent). */
export const UPLOAD_SCRIPT = `'use strict';
(function () {
  var zone = document.querySelector('[data-dropzone]');
  if (!zone) return;
  var form = zone.closest('form');
  var input = form.querySelector('input[type="file"]');
  var chosen = zone.querySelector('[data-chosen]');
  zone.classList.add('enhanced');
  zone.addEventListener('click', function (event) {
    if (event.target === zone || event.target.closest('[data-zone-text]')) input.click();
  });
  zone.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      input.click();
    }
  });
  ['dragenter', 'dragover'].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add('over');
    });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove('over');
    });
  });
  zone.addEventListener('drop', function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length !== 1) {
      chosen.textContent = 'Drop one statement file at a time.';
      return;
    }
    input.files = files;
    chosen.textContent = 'Uploading ' + files[0].name + '…';
    form.requestSubmit();
  });
  input.addEventListener('change', function () {
    if (input.files && input.files.length === 1) chosen.textContent = input.files[0].name;
  });
})();
`;

/**
 * The direct upload's script (on AWS; served only there, after UPLOAD_SCRIPT): the form's submit
 * (the button, or the drop zone's requestSubmit) asks the workbench for a presigned PUT of the
 * chosen file, PUTs the file to storage with the signed headers (the browser sets its
 * Content-Length, which is signed), then opens the upload's page. Nothing else is sent anywhere.
 */
export const UPLOAD_DIRECT_SCRIPT = `'use strict';
(function () {
  var form = document.querySelector('form[data-presign]');
  if (!form) return;
  var presign = form.getAttribute('data-presign');
  var input = form.querySelector('input[type="file"]');
  var chosen = form.querySelector('[data-chosen]');
  var button = form.querySelector('button[type="submit"]');
  var fail = function (message) {
    chosen.textContent = message;
    button.disabled = false;
  };
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = input.files && input.files.length === 1 ? input.files[0] : null;
    if (!file) return fail('Choose one statement file first.');
    button.disabled = true;
    chosen.textContent = 'Uploading ' + file.name + '…';
    var request = { csrf: form.querySelector('input[name="csrf"]').value, name: file.name, size: file.size, contentType: file.type || '' };
    fetch(presign, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(request) })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) return fail((answer.body && answer.body.message) || 'The upload was refused; nothing was uploaded.');
        var put = answer.body;
        return fetch(put.url, { method: put.method, headers: put.headers, body: file, credentials: 'omit' }).then(function (response) {
          if (!response.ok) return fail('Storage refused the file (HTTP ' + response.status + '); nothing was uploaded. Try again.');
          window.location.assign(put.statusUrl);
        });
      })
      .catch(function () {
        fail('The upload did not complete (network error); nothing was uploaded. Try again.');
      });
  });
})();
`;

export const UPLOAD_CSS = `/* Statement upload: the drop zone */
.dropzone { border: 2px dashed #5b6776; border-radius: 8px; padding: 28px 16px; text-align: center; background: #f7f9fc; margin: 8px 0 12px; }
.dropzone.enhanced { cursor: pointer; }
.dropzone.over { border-color: #0b3d62; background: #e3edf7; }
.dropzone:focus { outline: 3px solid #1565c0; outline-offset: 2px; }
.dropzone .hint { display: none; font-weight: 600; margin-bottom: 8px; }
.dropzone.enhanced .hint { display: block; }
.upload-status { font-size: 16px; }
.upload-status.quarantined, .upload-status.failed { border-color: #b3261e; }
.upload-status pre { white-space: pre-wrap; word-break: break-word; }
`;

function uploadForm(view: { actor: Actor; csrf: string; maxBytes: number; direct: boolean; flash?: string }): string {
  const limit = Math.floor(view.maxBytes / (1024 * 1024));
  return page(
    'Upload a statement',
    view.actor,
    html`<link rel="stylesheet" href="${UPLOAD_STYLESHEET_PATH}">
<h1>Upload a statement</h1>
${view.flash ? html`<div class="flash error" role="alert">${view.flash}</div>` : ''}
<form class="panel" method="post" action="${UPLOAD_PATH}" enctype="multipart/form-data"${view.direct ? html` data-presign="${PRESIGN_PATH}"` : ''}>
<input type="hidden" name="csrf" value="${view.csrf}">
${
  view.direct
    ? html`<p>The file goes straight from this browser to the ingest bucket, where any statement upload starts its reconciliation: camt.053, MT940 or BAI2, at most ${limit} MiB. This page then shows it queued, and the run once the registry holds it (or why not: the file quarantined).</p>
<noscript><p class="flash error" role="alert">Here the file is sent to storage by the page's script: turn JavaScript on to upload (the workbench itself cannot take a file larger than 1 MB).</p></noscript>`
    : html`<p>The file goes to the inbox that <code>ledgerline inbox</code> reconciles, like any statement upload: camt.053, MT940 or BAI2, at most ${limit} MiB. This page then shows it queued, and the run once it is committed (or why it was not: the file quarantined, or the inbox failed).</p>`
}
<div class="dropzone" data-dropzone tabindex="0" role="group" aria-label="Statement file">
<p class="hint" data-zone-text>Drop a statement file here, or click to choose one</p>
<label for="statement-file">Statement file</label>
<input id="statement-file" type="file" name="file" required>
<p class="muted" data-chosen aria-live="polite"></p>
</div>
<button type="submit">Upload</button>
</form>
<script src="${UPLOAD_SCRIPT_PATH}" defer></script>${view.direct ? html`<script src="${UPLOAD_DIRECT_SCRIPT_PATH}" defer></script>` : ''}`,
  );
}

function statusContent(id: string, status: UploadStatus, direct: boolean): SafeHtml {
  switch (status.state) {
    case 'queued':
      return direct
        ? html`<div class="panel upload-status queued" role="status"><strong>Queued.</strong> ${status.name} is in the ingest bucket${status.since ? html` (since ${status.since})` : ''}, waiting for the reconciliation workflow to take it. This page looks again every ${QUEUED_REFRESH_SECONDS} seconds; <a href="${UPLOAD_PATH}/${id}">look now</a>.${status.runId ? html` If it stays queued, operations can look up the workflow's execution <code class="run-id">${status.runId}</code> (a failed run, or a re-upload of statements reconciled before in other bytes).` : ''}</div>`
        : html`<div class="panel upload-status queued" role="status"><strong>Queued.</strong> ${status.name} is in the inbox, waiting for <code>ledgerline inbox</code> to reconcile it. This page looks again every ${QUEUED_REFRESH_SECONDS} seconds; <a href="${UPLOAD_PATH}/${id}">look now</a>.</div>`;
    case 'committed':
      return html`<div class="panel upload-status committed" role="status"><strong>Committed.</strong> ${status.name} was reconciled in run <code class="run-id">${status.runId}</code>${status.statementLines !== undefined ? html` (${status.statementLines} statement lines)` : ''}. Its exceptions are <a href="/cases">in the case list</a> and its figures <a href="/dashboard">on the dashboard</a>${direct ? ' once the workflow has raised them' : ''}.</div>`;
    case 'already-reconciled':
      return html`<div class="panel upload-status reuploaded" role="status"><strong>Already reconciled.</strong> ${status.name} holds statements reconciled before${status.runId ? html` (run <code class="run-id">${status.runId}</code>)` : ''}: no new run, nothing counted twice.</div>`;
    case 'quarantined':
      return html`<div class="panel upload-status quarantined" role="alert"><strong>Quarantined.</strong> ${status.name} was not reconciled:<pre class="reason">${status.reason}</pre>Correct the file and upload it again.</div>`;
    case 'failed':
      return html`<div class="panel upload-status failed" role="alert"><strong>Failed.</strong> ${status.name} was not reconciled${status.at ? html` (at ${status.at})` : ''}:<pre class="reason">${status.reason}</pre>The fault is not in the file: it stays in the inbox, and <code>ledgerline inbox</code> tries it again when it restarts. Ask whoever runs the inbox to fix the fault; <a href="${UPLOAD_PATH}/${id}">look again</a> later.</div>`;
  }
}

/**
 * Registers the upload's routes on the workbench's app (after its sign-in, security headers and
 * error handling; the app's own body limit must leave POST /uploads to this one).
 */
export function registerUploadRoutes(app: Hono<UploadEnv>, deps: UploadRoutesDeps): void {
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const refuse = (c: Context<UploadEnv>, status: 400 | 403 | 404 | 413 | 415 | 422 | 503, title: string, message: string): Response =>
    c.html(renderMessagePage({ title, message, actor: c.get('actor') }), status);
  const refuseNonUploader = (c: Context<UploadEnv>): Response | undefined =>
    mayUpload(c.get('actor')) ? undefined : refuse(c, 403, 'Not allowed', 'uploading a statement needs the reconciler or approver role; you may view only');

  app.get(UPLOAD_SCRIPT_PATH, (c) => c.body(UPLOAD_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8', ...STATIC_HEADERS }));
  if (isDirectInbox(deps.inbox)) app.get(UPLOAD_DIRECT_SCRIPT_PATH, (c) => c.body(UPLOAD_DIRECT_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8', ...STATIC_HEADERS }));
  app.get(UPLOAD_STYLESHEET_PATH, (c) => c.body(UPLOAD_CSS, 200, { 'content-type': 'text/css; charset=utf-8', ...STATIC_HEADERS }));
  for (const path of UPLOAD_PATHS) app.use(path, deps.signedIn);

  const direct = isDirectInbox(deps.inbox) ? deps.inbox : undefined;
  app.get(UPLOAD_PATH, (c) => refuseNonUploader(c) ?? c.html(uploadForm({ actor: c.get('actor'), csrf: deps.csrfToken(c.get('csrfSubject')), maxBytes, direct: direct !== undefined })));
  if (direct) {
    // The form's own POST carries the file; here it goes to storage from the browser (the ALB passes at most 1 MB): refused unread.
    app.post(UPLOAD_PATH, (c) =>
      refuse(
        c,
        400,
        'Upload needs JavaScript',
        'here a statement goes from the browser straight to storage, which the upload page does with its script; turn JavaScript on and upload again. Nothing was uploaded.',
      ),
    );
    app.post(PRESIGN_PATH, async (c) => {
      const answer = (status: number, body: unknown) => c.json(body, status as 200);
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json'))
        return answer(415, { error: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the file description as application/json' });
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return answer(400, { error: 'INVALID', message: 'the request is not JSON' });
      }
      const fields = (body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {}) as { csrf?: unknown; name?: unknown; size?: unknown; contentType?: unknown };
      const csrfValid = typeof fields.csrf === 'string' && deps.sameSecret(fields.csrf, deps.csrfToken(c.get('csrfSubject')));
      const { csrf: _csrf, ...file } = fields;
      const decision = decideDirectUpload({ mayUpload: mayUpload(c.get('actor')), csrfValid, file }, maxBytes);
      if (!decision.ok) return answer(decision.status, { error: decision.code, message: decision.message });
      const presigned = await direct.presign(decision.file);
      return answer(200, { ...presigned, statusUrl: `${UPLOAD_PATH}/${presigned.uploadId}` });
    });
  } else {
    app.post(
      UPLOAD_PATH,
      bodyLimit({
        maxSize: maxBytes + 64 * 1024,
        onError: (c) => refuse(c as Context<UploadEnv>, 413, 'Request too large', `the file is larger than the upload limit of ${Math.floor(maxBytes / (1024 * 1024))} MiB; nothing was uploaded`),
      }),
      async (c) => {
        const refused = refuseNonUploader(c);
        if (refused) return refused;
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
          return refuse(c, 415, 'Unsupported content type', 'send the statement as multipart/form-data (the upload form)');
        }
        let body: Record<string, string | File | (string | File)[]>;
        try {
          body = await c.req.parseBody({ all: true });
        } catch {
          return refuse(c, 400, 'Invalid request', 'the upload is not a readable multipart form; nothing was uploaded');
        }
        const csrf = body.csrf;
        if (typeof csrf !== 'string' || !deps.sameSecret(csrf, deps.csrfToken(c.get('csrfSubject')))) {
          return refuse(c, 403, 'Not allowed', 'This form has expired or did not come from the workbench (CSRF check failed); nothing was uploaded. Try again from the upload page.');
        }
        const file = body.file;
        if (!(file instanceof File)) return refuse(c, 400, 'Invalid request', 'the upload carries no file (one field "file"); nothing was uploaded');
        if (file.size > maxBytes) return refuse(c, 413, 'Request too large', `the file is larger than the upload limit of ${Math.floor(maxBytes / (1024 * 1024))} MiB; nothing was uploaded`);
        if (file.size === 0) return refuse(c, 400, 'Invalid request', `file ${JSON.stringify(file.name)} is empty; nothing was uploaded`);
        let id: string;
        try {
          id = await (deps.inbox as StatementInbox).submit({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
        } catch (error) {
          if (error instanceof WorkbenchError)
            return refuse(c, error.httpStatus as 400 | 422 | 503, error.code === 'CARD_NUMBER' ? 'Card number refused' : 'Upload refused', `${error.message}; nothing was uploaded`);
          throw error;
        }
        return c.redirect(`${UPLOAD_PATH}/${id}`, 303);
      },
    );
  }
  app.get(`${UPLOAD_PATH}/:id`, async (c) => {
    const id = c.req.param('id');
    const status = UPLOAD_ID.test(id) ? await deps.inbox.status(id) : undefined;
    if (!status) return refuse(c, 404, 'Not found', 'there is no such upload');
    const body = page(
      'Upload',
      c.get('actor'),
      html`<link rel="stylesheet" href="${UPLOAD_STYLESHEET_PATH}"><h1>Upload ${status.name}</h1>${statusContent(id, status, direct !== undefined)}<p><a href="${UPLOAD_PATH}">Upload another statement</a></p>`,
    );
    return c.html(body, 200, status.state === 'queued' ? { refresh: String(QUEUED_REFRESH_SECONDS) } : {});
  });
}
