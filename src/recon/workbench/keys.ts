/**
 * The workbench's keyboard flow: progressive enhancement in one static script (served at
 * /static/workbench.js under the strict CSP: script-src 'self', no inline script). Every page works
 * without it (links and forms); with it:
 *   list:  j / ↓ next row, k / ↑ previous row, Enter opens, / search;
 *   case:  1-9 pick a candidate, c confirm (the picked candidate, else a proposed match), n / p next
 *          / previous case, l back to the list, and one key per action (the form's data-key): a form
 *          without a required field is submitted, else its first field is focused; Ctrl+Enter in a
 *          field submits its form, Esc leaves the field;
 *   ?      shows or hides the keys.
 * After a confirming action the server sends the browser on to the next case (the form's `next`).
 */

export const SCRIPT_PATH = '/static/workbench.js';

/** One key and what it does (the help panel lists them). */
export const KEYS: readonly { key: string; does: string }[] = [
  { key: 'j / ↓', does: 'next case in the list' },
  { key: 'k / ↑', does: 'previous case in the list' },
  { key: 'Enter', does: 'open the selected case' },
  { key: '/', does: 'search the list' },
  { key: '1-9', does: 'pick a candidate of the case' },
  { key: 'c', does: 'confirm: match the picked candidate, or confirm a proposed match' },
  { key: 'n / p', does: 'next / previous case' },
  { key: 'l', does: 'back to the list' },
  { key: 'a', does: 'assign' },
  { key: 'm', does: 'comment' },
  { key: 'r', does: 'resolve' },
  { key: 'x', does: 'reject the proposed match' },
  { key: 'w', does: 'propose a write-off' },
  { key: 'v', does: 'approve the write-off' },
  { key: 'd', does: 'reject the write-off' },
  { key: 'o', does: 'reopen' },
  { key: 'u', does: 'undo the resolution' },
  { key: 'Ctrl+Enter', does: 'send the form you are typing in' },
  { key: 'Esc', does: 'leave the field / close this help' },
  { key: '?', does: 'show or hide these keys' },
];

/** The form keys of the case actions (html.ts puts them on each form as data-key). */
export const ACTION_KEYS: Readonly<Record<string, string>> = {
  assign: 'a',
  comment: 'm',
  resolve: 'r',
  'confirm-match': 'c',
  'reject-match': 'x',
  'propose-write-off': 'w',
  'approve-write-off': 'v',
  'reject-write-off': 'd',
  reopen: 'o',
  undo: 'u',
};

export const WORKBENCH_JS = `/* Ledgerline workbench: keyboard flow (progressive enhancement; the pages work without it). */
(function () {
  'use strict';
  var help = document.getElementById('keys');
  var hint = document.getElementById('keys-hint');
  if (hint) hint.hidden = false;
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-href]'));
  var candidates = Array.prototype.slice.call(document.querySelectorAll('tr[data-candidate]'));
  var at = -1;
  var picked = -1;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
  }
  function mark(list, index, cls) {
    for (var i = 0; i < list.length; i += 1) {
      list[i].classList.toggle(cls, i === index);
      list[i].setAttribute('aria-selected', i === index ? 'true' : 'false');
    }
    if (index >= 0 && list[index]) list[index].scrollIntoView({ block: 'nearest' });
  }
  function selectRow(index) {
    if (rows.length === 0) return;
    at = Math.max(0, Math.min(rows.length - 1, index));
    mark(rows, at, 'selected');
    var link = rows[at].querySelector('a');
    if (link) link.focus();
  }
  function pick(index) {
    if (!candidates[index]) return;
    picked = index;
    mark(candidates, picked, 'selected');
    var status = document.getElementById('picked');
    if (status) status.textContent = 'Candidate ' + (index + 1) + ' picked: press c to match it.';
  }
  function submit(form) {
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  }
  function follow(rel) {
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) window.location.assign(link.getAttribute('href'));
  }
  function runAction(key) {
    var form = document.querySelector('form[data-key="' + key + '"]');
    if (!form) return false;
    var field = form.querySelector('textarea, select, input:not([type="hidden"])');
    if (form.querySelector('[required]') && field) {
      form.scrollIntoView({ block: 'nearest' });
      field.focus();
    } else submit(form);
    return true;
  }

  document.addEventListener('keydown', function (event) {
    if (event.metaKey || event.altKey) return;
    var target = event.target;
    if (event.key === 'Escape') {
      if (help && !help.hidden) help.hidden = true;
      if (typing(target)) target.blur();
      return;
    }
    if (typing(target)) {
      if (event.key === 'Enter' && event.ctrlKey && target.form) {
        event.preventDefault();
        submit(target.form);
      }
      return;
    }
    if (event.ctrlKey) return;
    var key = event.key;
    var handled = true;
    if (key === '?') {
      if (help) help.hidden = !help.hidden;
    } else if (rows.length && (key === 'j' || key === 'ArrowDown')) selectRow(at + 1);
    else if (rows.length && (key === 'k' || key === 'ArrowUp')) selectRow(at - 1);
    else if (rows.length && key === 'Enter' && at >= 0 && !(target && target.tagName === 'A')) window.location.assign(rows[at].getAttribute('data-href'));
    else if (key === '/' && document.querySelector('input[name="q"]')) document.querySelector('input[name="q"]').focus();
    else if (candidates.length && /^[1-9]$/.test(key)) pick(Number(key) - 1);
    else if (key === 'c' && picked >= 0) {
      var form = candidates[picked].querySelector('form');
      if (form) submit(form);
    } else if (key === 'n') follow('next');
    else if (key === 'p') follow('prev');
    else if (key === 'l') window.location.assign('/cases');
    else handled = runAction(key);
    if (handled) event.preventDefault();
  });
})();
`;
