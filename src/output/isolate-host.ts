import { escapeControls } from '../core/escape.js';
import { renderCheck } from './isolate.js';
import { shellLine } from '../core/shell.js';
import type { ContainResult } from '../isolate/host/contain.js';
import type { HostRestoreResult } from '../isolate/host/restore.js';
import type { HostJournal, HostStep, HostStepResult } from '../isolate/host/schema.js';

export function renderHostPlan(title: string, plan: HostStep[]): string {
  const lines = [`Plan: ${title}`];
  plan.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${escapeControls(shellLine(s.argv))}${s.input ? ' <<EOF' : ''}${s.why ? `   # ${escapeControls(s.why)}` : ''}`);
    if (s.input) lines.push(...s.input.trimEnd().split('\n').map((l) => `       ${escapeControls(l)}`), '     EOF');
  });
  return lines.join('\n');
}

function renderSteps(steps: HostStepResult[]): string[] {
  return steps.map((s) => `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.kind} ${escapeControls(s.subject)}${s.ok ? '' : `: ${escapeControls(s.stderr ?? `exit ${s.code}`)}`}`);
}

/** Said with the plan and the result when the host runs ufw: what ir does with it (nothing) and why that holds. */
export function ufwNote(j: HostJournal): string | null {
  if (!j.firewall.ufwActive) return null;
  return `ufw is active on ${escapeControls(j.host)} (${escapeControls(j.firewall.ufwEvidence ?? 'ufw status')}): ir leaves it alone and adds its own nft table next to ufw's chains; its drop is final, so ufw's allow rules cannot let traffic past the quarantine (ufw status keeps saying active)`;
}

export function renderContainResult(r: ContainResult): string {
  if (r.dryRun) return 'dry run: nothing was changed';
  const j = r.record;
  const lines = ['steps:', ...renderSteps(j.steps)];
  if (j.selfTest) lines.push(...renderCheck('self-test', j.selfTest));
  const ufw = ufwNote(j);
  if (ufw) lines.push(ufw);
  lines.push(`allowed: SSH port ${j.sshPorts.join(',')} (${j.sshPortSource}) from ${j.allowSource.join(', ')}`);
  lines.push(`the watchdog reverts at ${j.deadline} unless: ir isolate --confirm --case ${r.case} (over a NEW connection)`);
  lines.push(`journal: ${r.journal}; undo: ir restore --case ${r.case}; time: ${r.seconds} s`);
  return lines.join('\n');
}

export function renderHostRestore(r: HostRestoreResult): string {
  if (r.dryRun) return 'dry run: nothing was changed';
  return ['host network:', ...renderSteps(r.steps), ...renderCheck('check', { at: '', ok: r.ok, checks: r.checks })].join('\n');
}
