// What an upgrade changed in a contract's interface, in words (`abiChanges` of a version).

export type AbiSubject = 'FUNCTION' | 'STRUCT' | 'UNION' | 'ENUM' | 'ERROR_ENUM' | 'EVENT';

interface ChangeLike {
  severity: 'BREAKING' | 'COMPATIBLE';
}

/** "3 interface changes, 1 breaking", "No interface change". */
export function changeSummary(changes: readonly ChangeLike[]): string {
  if (changes.length === 0) return 'No interface change';
  const breaking = changes.filter((c) => c.severity === 'BREAKING').length;
  const all = `${changes.length} interface ${changes.length === 1 ? 'change' : 'changes'}`;
  return breaking === 0 ? `${all}, all compatible` : `${all}, ${breaking} breaking`;
}

const SUBJECTS: Record<AbiSubject, string> = {
  FUNCTION: 'function',
  STRUCT: 'struct',
  UNION: 'enum',
  ENUM: 'enum',
  ERROR_ENUM: 'error enum',
  EVENT: 'event',
};

/** The item a change is about, in words: "function", "error enum". */
export function subjectLabel(subject: AbiSubject): string {
  return SUBJECTS[subject];
}
