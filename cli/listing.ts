/** `a, b and c` (`conjunction` `and`) or `a, b or c`: a list in a message, as many names as the registry has. */
export function listed(names: readonly string[], conjunction: 'and' | 'or'): string {
  return [names.slice(0, -1).join(', '), names.at(-1)].filter((part) => part !== undefined && part !== '').join(` ${conjunction} `);
}
