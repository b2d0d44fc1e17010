import type { AuditVerification, ChainBreak } from '../domain/verify-audit.ts';

// The lines `chat-gateway verify-audit` prints: one per broken chain, then one summary.

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** e.g. `chain broken: tenant "acme", entry 0193… (seq 12, chain index 7): altered: its stored hash …` */
export function describeBreak(b: ChainBreak): string {
  const where = b.entry ? `, entry ${b.entry.id} (seq ${b.entry.seq}, chain index ${b.entry.chainIndex})` : '';
  return `chain broken: tenant "${b.tenant}"${where}: ${b.kind}: ${b.detail}`;
}

export function summary(report: AuditVerification): string {
  const checked = `${plural(report.entries, 'entry', 'entries')} in ${plural(report.tenants, 'tenant', 'tenants')} checked; ${report.unsealed} not sealed yet`;
  return report.breaks.length === 0
    ? `audit log intact: ${checked}`
    : `audit log broken in ${plural(report.breaks.length, 'tenant', 'tenants')}: ${checked}`;
}
