/**
 * THE default posting rule set, written once (MODE-5, FRAUD-1): the one every AWS rules stage runs
 * (bundled into the functions by src/adapters/aws/wiring.ts) and the one the embedded runtime runs
 * when `post` is given no `--rules` file (src/runtime/embedded-runtime.ts). Card-posting v2: the
 * account, card, limit, MCC, foreign and velocity checks, plus the fraud signals (card baseline,
 * country hops, merchant risk, model score) that hold a payment for review.
 *
 * To change the default, change these two lines together (a test checks that the path and the
 * bundled document are the same file).
 */
import * as path from 'node:path';
import defaultRuleSetDocument from '../config/rules/card-posting.v2.json';

/** The default rule set's file, relative to the repository root (help texts, logs). */
export const DEFAULT_RULE_SET_FILE = 'config/rules/card-posting.v2.json';

/** The default rule set's file, absolute: the embedded runtime reads and compiles it. */
export const DEFAULT_RULE_SET_PATH = path.resolve(__dirname, '..', DEFAULT_RULE_SET_FILE);

/** The default rule set's document, bundled (a Lambda reads no repository files). */
export const DEFAULT_RULE_SET_DOCUMENT: unknown = defaultRuleSetDocument;
