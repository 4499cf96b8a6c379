/**
 * The environments the platform team deploys and promotes between, in promotion order: the one
 * list the stacks (stacks/ledgerline.ts), the CLI's --env options (replay, cost) and the
 * synthesized Terraform read.
 */
import { dev } from './dev';
import { prod } from './prod';
import { staging } from './staging';
import type { EnvironmentConfig } from './types';

export const ENVIRONMENTS: readonly EnvironmentConfig[] = [dev, staging, prod];

/** The environment named `name`, if it is one of ENVIRONMENTS. */
export function environmentNamed(name: string): EnvironmentConfig | undefined {
  return ENVIRONMENTS.find((config) => config.name === name);
}
