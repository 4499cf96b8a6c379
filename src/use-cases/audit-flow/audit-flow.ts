/**
 * Use case: audit the flow of a window and, when asked, repair it (FLOW-1, FLOW-2, FLOW-3).
 *
 * 1. Read the window's facts (FlowFactsReader) and audit them (src/domain/flow-audit.ts).
 * 2. With repair: re-emit each stuck payment's event under its deterministic id (FlowRepairer),
 *    then read and audit again, so the result says what is still stuck after the repair.
 * 3. `unrepaired` counts what is stuck and was not put right: the CLI's exit code and the
 *    scheduled function's alarm metric. Where a re-emitted event is consumed asynchronously (AWS:
 *    a queue feeds the hot path), a payment re-emitted by this run is in flight, not unrepaired,
 *    when the second read comes: the next scheduled audit judges it (`reemittedInFlight`).
 */
import type { FlowAuditReport } from '../../domain/flow-audit';
import { auditFlow } from '../../domain/flow-audit';
import type { Clock } from '../../ports';
import type { FlowFactsReader, FlowRepairer, FlowWindow, RepairOutcome } from '../../ports/flow';

export interface AuditFlowDeps {
  facts: FlowFactsReader;
  repairer?: FlowRepairer;
  clock: Clock;
}

export interface AuditFlowOptions {
  window: FlowWindow;
  stuckAfterMs: number;
  repair: boolean;
  /**
   * The re-emitted events are consumed asynchronously (AWS): a payment this run re-emitted is in
   * flight at the second read, so it does not count as unrepaired (the next audit judges it).
   * Embedded, the repair completes before the second read, so this stays off there.
   */
  reemittedInFlight?: boolean;
  /** Called with progress lines (stderr on the CLI). */
  onProgress?: (message: string) => void;
}

export interface AuditFlowResult {
  audit: FlowAuditReport;
  /** Present with repair: what was re-emitted and what could not be. */
  repair?: { reemitted: number; unrepairable: RepairOutcome[]; after: FlowAuditReport };
  /** Stuck and not repaired (0 is healthy). */
  unrepaired: number;
  /** Every equation holds and no fact is an orphan (after the repair, when one ran). */
  balanced: boolean;
}

export async function runAuditFlow(deps: AuditFlowDeps, options: AuditFlowOptions): Promise<AuditFlowResult> {
  const progress = options.onProgress ?? (() => undefined);
  const facts = await deps.facts.read(options.window);
  progress(`read the facts of ${facts.payments.length} payment(s)`);
  const audit = auditFlow(facts.payments, facts.orphans, options.window, { now: deps.clock.now(), stuckAfterMs: options.stuckAfterMs });
  progress(`${audit.stuck.length} stuck, ${audit.inFlight} in flight, ${audit.balanced ? 'balanced' : 'NOT balanced'}`);
  if (!options.repair || audit.stuck.length === 0) return { audit, unrepaired: audit.stuck.length, balanced: audit.balanced };
  if (!deps.repairer) throw new Error('audit-flow: a repair was asked for but no repairer is configured');
  const outcomes = await deps.repairer.reemit(audit.stuck.map((payment) => payment.repair));
  const reemitted = outcomes.filter((outcome) => outcome.outcome === 'reemitted').length;
  const unrepairable = outcomes.filter((outcome) => outcome.outcome === 'unrepairable');
  progress(`re-emitted ${reemitted} event(s), ${unrepairable.length} could not be rebuilt`);
  const again = await deps.facts.read(options.window);
  const after = auditFlow(again.payments, again.orphans, options.window, { now: deps.clock.now(), stuckAfterMs: options.stuckAfterMs });
  progress(`after the repair: ${after.stuck.length} stuck, ${after.balanced ? 'balanced' : 'NOT balanced'}`);
  const inFlight = new Set(options.reemittedInFlight ? outcomes.filter((outcome) => outcome.outcome === 'reemitted').map((outcome) => outcome.authorizationId) : []);
  const unrepaired = after.stuck.filter((payment) => !inFlight.has(payment.authorizationId)).length;
  return { audit, repair: { reemitted, unrepairable, after }, unrepaired, balanced: after.balanced };
}
