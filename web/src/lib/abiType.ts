// Type expressions as Rust spells them (`Vec<Option<DataKey>>`), split so that the names of the
// contract's own types can link to their definitions.

export interface TypeToken {
  text: string;
  /** The user-defined type this token names, when it names one. */
  userType?: string;
}

/** Splits `display` into tokens; identifiers in `userTypes` are marked. */
export function tokenizeType(display: string, userTypes: ReadonlySet<string>): TypeToken[] {
  const tokens: TypeToken[] = [];
  let plain = '';
  for (const part of display.split(/([A-Za-z_][A-Za-z0-9_]*)/)) {
    if (part === '') continue;
    if (userTypes.has(part)) {
      if (plain) tokens.push({ text: plain });
      plain = '';
      tokens.push({ text: part, userType: part });
    } else {
      plain += part;
    }
  }
  if (plain) tokens.push({ text: plain });
  return tokens;
}

/** The id of the element that defines user type `name` on an ABI page. */
export function typeAnchor(name: string): string {
  return `type-${name}`;
}
