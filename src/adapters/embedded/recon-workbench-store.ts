/** The workbench's embedded case store, as the reconciliation layer reaches it (ARCH-1: recon imports embedded adapters only through recon-* files). */
export * from './workbench-store';
