/**
 * OPS-2: every alarm the stacks synthesize (every environment and topology variant) names its
 * runbook page in its description, the page exists and says what the alarm means, what to look
 * at and what to run; and every page in docs/runbooks/ belongs to an alarm.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupSynth, synthesizeAll } from './support/synth';

const ROOT = join(__dirname, '..', '..');
const RUNBOOKS = join(ROOT, 'docs', 'runbooks');
/** Procedures, not alarm pages. */
const NOT_ALARM_PAGES = new Set(['first-deploy.md']);
const LINK = /Runbook: docs\/runbooks\/([a-z0-9-]+\.md)$/;

interface SynthAlarm {
  scope: string;
  name: string;
  description: string;
}

let alarms: SynthAlarm[];
beforeAll(() => {
  alarms = [...synthesizeAll().models].flatMap(([scope, model]) =>
    model.of('aws_cloudwatch_metric_alarm').map((alarm) => ({ scope, name: String(alarm.config.alarm_name), description: String(alarm.config.alarm_description ?? '') })),
  );
});
afterAll(() => cleanupSynth());

function pageOf(alarm: SynthAlarm): string | undefined {
  return LINK.exec(alarm.description)?.[1];
}

describe('OPS-2: one runbook page per alarm', () => {
  it('synthesizes alarms in every environment', () => {
    expect(new Set(alarms.map((alarm) => alarm.scope))).toEqual(new Set(['dev', 'staging', 'prod', 'staged']));
    expect(alarms.length).toBeGreaterThan(100);
  });

  it("FLOW-3: every environment has the flow auditor's stuck-and-unrepaired alarm, linked to its page", () => {
    const flow = alarms.filter((alarm) => alarm.name.endsWith('-flow-stuck-unrepaired'));
    expect(flow.map((alarm) => [alarm.scope, pageOf(alarm)]).sort()).toEqual([
      ['dev', 'flow-stuck-payments.md'],
      ['prod', 'flow-stuck-payments.md'],
      ['staged', 'flow-stuck-payments.md'],
      ['staging', 'flow-stuck-payments.md'],
    ]);
  });

  it('every alarm names exactly one runbook page, and the page exists', () => {
    const missing = alarms.filter((alarm) => pageOf(alarm) === undefined || alarm.description.split('Runbook:').length !== 2).map((alarm) => `${alarm.name}: "${alarm.description}"`);
    expect(missing).toEqual([]);
    const broken = alarms.filter((alarm) => !existsSync(join(RUNBOOKS, pageOf(alarm)!))).map((alarm) => `${alarm.name} → ${pageOf(alarm)}`);
    expect(broken).toEqual([]);
  });

  it('every runbook page belongs to an alarm', () => {
    const linked = new Set(alarms.map(pageOf));
    const pages = readdirSync(RUNBOOKS).filter((file) => file.endsWith('.md') && !NOT_ALARM_PAGES.has(file));
    expect(pages.length).toBeGreaterThanOrEqual(14);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('every page names its alarm, and says what it means, what to look at and what to run', () => {
    const pages = readdirSync(RUNBOOKS).filter((file) => file.endsWith('.md') && !NOT_ALARM_PAGES.has(file));
    for (const page of pages) {
      const text = readFileSync(join(RUNBOOKS, page), 'utf8');
      const headings = [...text.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
      expect([page, headings]).toEqual([page, ['What it means', 'What to look at', 'What to run']]);
      // The alarm's name pattern as synthesized (the env prefix as <env>): each dev alarm of the page is named on it.
      for (const alarm of alarms.filter((candidate) => candidate.scope === 'dev' && pageOf(candidate) === page)) {
        const suffix = alarm.name.replace(/^ledgerline-dev-/, '');
        const named = [...text.matchAll(/`<env>-([^`]+)`/g)].map((match) => match[1]!);
        const matches = named.some((pattern) =>
          new RegExp(
            `^${pattern
              .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
              .replace(/<[a-z]+>/g, '[a-z0-9-]+')
              .replace(/…/g, '.*')}$`,
          ).test(suffix),
        );
        expect([page, suffix, matches]).toEqual([page, suffix, true]);
      }
    }
  });
});
