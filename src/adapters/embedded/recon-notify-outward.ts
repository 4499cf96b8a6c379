/**
 * NOTIFY-1, embedded: the notify outbox of a posting state as reconciliation reaches it (through
 * this recon-* file, ARCH-1): a committed run is announced through it, prepared before the
 * registry commit and released after (src/notify/outward.ts runAnnouncer).
 */
import { resolve } from 'node:path';
import { runAnnouncer } from '../../notify/outward';
import { SqliteOutwardEventPublisher } from './notify-outward';

/** The run announcer of the registry in `registryDir` over the notify outbox of `stateDir`; `close()` closes the outbox. */
export function stateRunAnnouncer(stateDir: string, registryDir: string, now?: () => Date): ReturnType<typeof runAnnouncer> & { close(): void } {
  const outbox = SqliteOutwardEventPublisher.open(resolve(stateDir), now);
  return { ...runAnnouncer(outbox, `reconcile ${resolve(registryDir)}\u001f`), close: () => outbox.close() };
}
